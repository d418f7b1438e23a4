/* tests/slides/check.js — evaluated by tests/slides/slides.sh inside each
 * built deck, once chromium fired its load event (Runtime.evaluate over the
 * DevTools protocol).  Its value is one line per finding:
 *   slides N shown-by-js J   the sections of #deck, and how many deck.js shows
 *   bad WHAT                 an image that did not load, a resource fetched
 *                            over http(s), a slide whose content spills out
 *                            of its 1280x720 frame, a code line too wide
 * It shows every slide in turn to measure it, then puts back the one
 * deck.js showed, so the screenshot that follows is of that slide. */
(function () {
  var out = [], deck = document.getElementById('deck');
  if (!deck) return 'bad no #deck element: not a deck';
  var slides = Array.prototype.slice.call(deck.querySelectorAll(':scope > section'));
  var shown = slides.filter(function (s) { return s.classList.contains('current'); });
  out.push('slides ' + slides.length + ' shown-by-js ' + shown.length);
  document.querySelectorAll('img').forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0)
      out.push('bad image did not load: ' + (img.getAttribute('src') || '').slice(0, 60));
  });
  performance.getEntriesByType('resource').forEach(function (r) {
    if (/^https?:/.test(r.name)) out.push('bad fetched ' + r.name);
  });
  slides.forEach(function (s, i) {
    slides.forEach(function (t) { t.classList.toggle('current', t === s); });
    var title = ((s.querySelector('h1, h2') || {}).textContent || '').trim();
    if (s.scrollHeight > s.clientHeight + 2 || s.scrollWidth > s.clientWidth + 2)
      out.push('bad slide ' + (i + 1) + ' "' + title + '" overflows: ' + s.scrollWidth + 'x' +
               s.scrollHeight + ' in ' + s.clientWidth + 'x' + s.clientHeight);
    s.querySelectorAll('pre').forEach(function (p) {
      if (p.scrollWidth > p.clientWidth + 2)
        out.push('bad slide ' + (i + 1) + ' "' + title + '" has a code line too wide: ' +
                 p.scrollWidth + ' > ' + p.clientWidth);
    });
  });
  slides.forEach(function (t) { t.classList.toggle('current', shown.indexOf(t) >= 0); });
  return out.join('\n');
})()
