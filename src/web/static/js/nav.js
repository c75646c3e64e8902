// Phones: the navigation folds behind a "Menu" button. Without scripts the links stay visible
// (the button is hidden and the CSS folds only under html.js).
document.documentElement.classList.add('js');
document.addEventListener('DOMContentLoaded', () => {
  const button = document.querySelector('.nav-toggle');
  const menu = document.getElementById('nav-menu');
  if (!button || !menu) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    menu.classList.toggle('open', open);
  });
});
// Any [data-fold-toggle="id"] button folds the element with that id on small screens (the
// browse filters): CSS shows it unfolded on wide screens and without scripts.
document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('[data-fold-toggle]')) {
    const target = document.getElementById(button.dataset.foldToggle);
    if (!target) continue;
    button.hidden = false;
    button.addEventListener('click', () => {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      target.classList.toggle('open', open);
    });
  }
});
