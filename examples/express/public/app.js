// The demo page: the two web components (loaded by index.html from /vendor/video-gallery.js) do the work; this
// file only handles the demo sign-in and the theme switch, and logs what the elements report.

const $ = (selector) => document.querySelector(selector);

// ---- theme: the elements follow the `theme` attribute ('light' | 'dark'), or the system setting without it
const themeSelect = $('#theme');
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  for (const element of document.querySelectorAll('video-gallery, generate-form')) {
    if (theme) element.setAttribute('theme', theme);
    else element.removeAttribute('theme');
  }
}
const savedTheme = new URLSearchParams(location.search).get('theme') ?? localStorage.getItem('vg-theme') ?? '';
themeSelect.value = ['light', 'dark'].includes(savedTheme) ? savedTheme : '';
applyTheme(themeSelect.value);
themeSelect.addEventListener('change', () => {
  localStorage.setItem('vg-theme', themeSelect.value);
  applyTheme(themeSelect.value);
});

// ---- the demo sign-in
const me = await (await fetch('/auth/me')).json();
if (!me.name) {
  $('#signed-out').hidden = false;
} else {
  const signOut = Object.assign(document.createElement('form'), { method: 'post', action: '/auth/sign-out' });
  signOut.append(Object.assign(document.createElement('button'), { textContent: 'Sign out' }));
  $('#account').append(`Signed in as ${me.name} `, signOut);
  $('#signed-in').hidden = false;
  $('video-gallery').src = '/api/gallery';
}

// ---- what the elements report: a job started, a video deleted, an error (the elements show errors themselves)
document.addEventListener('vg-generate', (event) => console.info('job started', event.detail.entry.id));
document.addEventListener('vg-entry-delete', (event) => console.info('deleted', event.detail.entry.id));
document.addEventListener('vg-error', (event) => console.warn('video-gallery:', event.detail.error));
