// Share a campaign: the Web Share API where the browser has it (phones), else copy the link.
// Without scripts the button is a plain link to the page.
(function () {
  for (const root of document.querySelectorAll('[data-share]')) {
    const button = root.querySelector('[data-share-button]');
    const status = root.querySelector('[data-share-status]');
    const url = new URL(root.dataset.shareUrl, window.location.origin).href;
    button.addEventListener('click', async (e) => {
      e.preventDefault();
      if (navigator.share) {
        try {
          await navigator.share({ title: root.dataset.shareTitle, url });
          return;
        } catch (err) {
          if (err && err.name === 'AbortError') return;
        }
      }
      try {
        await navigator.clipboard.writeText(url);
        status.textContent = 'Link copied';
      } catch {
        status.textContent = url;
      }
    });
  }
})();
