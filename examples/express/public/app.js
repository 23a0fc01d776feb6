// The demo page: a generate form and a live gallery, through RemoteGallery (@video-gallery/core/client).
// The web components of @video-gallery/elements can replace all of this with two tags.
import { RemoteGallery } from '@video-gallery/core/client';

const $ = (selector) => document.querySelector(selector);

const me = await (await fetch('/auth/me')).json();
if (!me.name) {
  $('#signed-out').hidden = false;
} else {
  $('#account').append(`Signed in as ${me.name} `, signOutForm());
  $('#signed-in').hidden = false;
  await start();
}

function signOutForm() {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = '/auth/sign-out';
  form.append(Object.assign(document.createElement('button'), { textContent: 'Sign out' }));
  return form;
}

async function start() {
  const gallery = new RemoteGallery({ baseUrl: '/api/gallery' });
  const cards = new Map();

  // ---- the form, filled from the server's capabilities
  const form = $('#generate');
  const caps = await gallery.capabilities();
  const fill = (select, values, selected) => {
    select.replaceChildren(...values.map((v) => new Option(String(v), String(v), false, String(v) === String(selected))));
  };
  const showModel = () => {
    const provider = caps.providers.find((p) => p.id === form.provider.value) ?? caps.providers[0];
    const model = provider.models[0];
    fill(form.durationSeconds, model.durations, model.defaults.durationSeconds);
    fill(form.resolution, model.resolutions, model.defaults.resolution);
    fill(form.aspectRatio, model.aspectRatios, model.defaults.aspectRatio);
    form.image.closest('label').hidden = !model.modes.includes('image');
  };
  fill(form.provider, caps.providers.map((p) => p.id), caps.defaultProvider);
  form.provider.addEventListener('change', showModel);
  showModel();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    $('#form-error').textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const image = form.image.files[0];
      const entry = await gallery.generate({
        prompt: form.prompt.value,
        provider: form.provider.value,
        durationSeconds: Number(form.durationSeconds.value),
        resolution: form.resolution.value,
        aspectRatio: form.aspectRatio.value,
        ...(image && !form.image.closest('label').hidden ? { image } : {}),
      });
      show(entry);
      form.prompt.value = '';
      form.image.value = '';
    } catch (error) {
      $('#form-error').textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });

  // ---- the gallery, kept live by the event stream
  async function reload() {
    const page = await gallery.list({ limit: 50 });
    for (const id of cards.keys()) if (!page.items.some((e) => e.id === id)) remove(id);
    for (const entry of [...page.items].reverse()) show(entry);
  }
  gallery.subscribe(({ type, entry }) => (type === 'delete' ? remove(entry.id) : show(entry)));
  gallery.on('reset', () => void reload());
  gallery.on('connection', (state) => {
    $('#live').textContent = state.status === 'open' ? 'Live' : state.status === 'connecting' ? 'Reconnecting…' : 'Offline';
  });
  await reload();

  function remove(id) {
    cards.get(id)?.li.remove();
    cards.delete(id);
  }

  function show(entry) {
    let card = cards.get(entry.id);
    if (card && card.entry.version >= entry.version) return;
    if (!card) {
      const li = document.createElement('li');
      $('#gallery').prepend(li);
      card = { li };
      cards.set(entry.id, card);
    }
    card.entry = entry;
    card.li.replaceChildren(...render(entry));
  }

  function render(entry) {
    const parts = [];
    if (entry.status === 'ready') {
      const video = document.createElement('video');
      video.controls = true;
      video.preload = 'metadata';
      video.src = gallery.videoUrl(entry);
      const poster = gallery.thumbnailUrl(entry);
      if (poster) video.poster = poster;
      parts.push(video);
    } else {
      const progress = entry.progress === null ? '' : ` ${Math.round(entry.progress * 100)}%`;
      parts.push(Object.assign(document.createElement('div'), { className: 'placeholder', textContent: `${entry.status}${progress}` }));
    }
    parts.push(Object.assign(document.createElement('div'), { className: 'prompt', textContent: entry.request.prompt }));
    if (entry.error) parts.push(Object.assign(document.createElement('div'), { className: 'status-failed', textContent: `${entry.error.code}: ${entry.error.message}` }));
    const actions = Object.assign(document.createElement('div'), { className: 'actions' });
    const button = (label, action) => {
      const b = Object.assign(document.createElement('button'), { textContent: label, type: 'button' });
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          await action();
        } catch (error) {
          alert(error.message);
        } finally {
          b.disabled = false;
        }
      });
      actions.append(b);
    };
    button(entry.favorite ? '★' : '☆', () => gallery.update(entry.id, { favorite: !entry.favorite }).then(show));
    if (entry.status === 'ready') {
      const link = Object.assign(document.createElement('a'), { href: gallery.videoUrl(entry, { download: true }), textContent: 'Download' });
      actions.append(link);
    }
    if (entry.status === 'failed' || entry.status === 'cancelled') button('Retry', () => gallery.retry(entry.id).then(show));
    if (['queued', 'submitting', 'generating'].includes(entry.status)) button('Cancel', () => gallery.cancel(entry.id).then(show));
    button('Delete', async () => {
      await gallery.delete(entry.id);
      remove(entry.id);
    });
    parts.push(actions);
    return parts;
  }
}
