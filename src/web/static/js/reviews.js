// The campaign page's review forms: post, edit, answer, hide/show. Each reloads the page on
// success (the server renders the list); errors show the API's message beside the form.
(function () {
  const section = document.getElementById('reviews');
  if (!section) return;
  function wire(selector, call) {
    for (const form of section.querySelectorAll(selector)) {
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const error = form.querySelector('[data-review-error]');
        const button = form.querySelector('button[type="submit"]');
        error.hidden = true;
        button.disabled = true;
        try {
          await call(form, new FormData(form));
          window.location.reload();
        } catch (err) {
          error.textContent = window.describeError(err);
          error.hidden = false;
          button.disabled = false;
        }
      });
    }
  }
  const rating = (data) => Number(data.get('rating'));
  wire('[data-review-create]', (form, data) =>
    window.api('POST', '/api/v1/reviews', {
      bookingId: form.dataset.bookingId,
      rating: rating(data),
      body: String(data.get('body') || ''),
    }),
  );
  wire('[data-review-edit]', (form, data) =>
    window.api('PATCH', `/api/v1/reviews/${form.dataset.reviewId}`, {
      rating: rating(data),
      body: String(data.get('body') || ''),
    }),
  );
  wire('[data-review-reply]', (form, data) =>
    window.api('POST', `/api/v1/reviews/${form.dataset.reviewId}/reply`, {
      body: String(data.get('body') || ''),
    }),
  );
  wire('[data-review-hide]', (form, data) =>
    window.api('POST', `/api/v1/reviews/${form.dataset.reviewId}/hide`, {
      reason: String(data.get('reason') || ''),
    }),
  );
  wire('[data-review-unhide]', (form) =>
    window.api('POST', `/api/v1/reviews/${form.dataset.reviewId}/unhide`),
  );
})();
