/* tests/slides/check.js — run by tests/slides/slides.sh inside a page that
 * headless chromium loads with --dump-dom.  DECKS (set before this file)
 * lists the decks to open, each in a 1280x720 iframe.  For each deck it
 * writes lines into <pre id="result">:
 *   deck NAME slides N shown-by-js J first-figure F
 *   bad NAME WHAT     one line per problem: an image that did not load,
 *                     a resource fetched over http(s), a slide whose
 *                     content spills over its 16:9 frame
 * and "done" when every deck was read.  The shell turns them into ok/not ok. */
(function () {
  var out = [], left = DECKS.length;
  function finish() { if (--left === 0) { out.push('done'); document.getElementById('result').textContent = out.join('\n'); } }
  DECKS.forEach(function (name) {
    var f = document.createElement('iframe');
    f.style.width = '1280px'; f.style.height = '720px';
    f.onload = function () {
      var doc = null, win = f.contentWindow;
      try { doc = f.contentDocument; } catch (e) { }
      if (!doc || !doc.getElementById('deck')) { out.push('bad ' + name + ' page not readable or no #deck'); finish(); return; }
      var slides = doc.querySelectorAll('#deck > section');
      var shown = doc.querySelectorAll('#deck > section.current').length;
      var figure = 0;
      doc.querySelectorAll('img').forEach(function (img) {
        if (!img.complete || img.naturalWidth === 0)
          out.push('bad ' + name + ' image did not load: ' + img.getAttribute('src').slice(0, 60));
      });
      win.performance.getEntriesByType('resource').forEach(function (r) {
        if (/^https?:/.test(r.name)) out.push('bad ' + name + ' fetched ' + r.name);
      });
      slides.forEach(function (s, i) {
        slides.forEach(function (t) { t.classList.remove('current'); });
        s.classList.add('current');
        if (!figure && s.querySelector('img')) figure = i + 1;
        var title = (s.querySelector('h1, h2') || {}).textContent || '';
        if (s.scrollHeight > s.clientHeight + 2 || s.scrollWidth > s.clientWidth + 2)
          out.push('bad ' + name + ' slide ' + (i + 1) + ' "' + title + '" overflows: ' +
                   s.scrollWidth + 'x' + s.scrollHeight + ' in ' + s.clientWidth + 'x' + s.clientHeight);
        s.querySelectorAll('pre').forEach(function (p) {
          if (p.scrollWidth > p.clientWidth + 2)
            out.push('bad ' + name + ' slide ' + (i + 1) + ' "' + title + '" has a code line too wide: ' +
                     p.scrollWidth + ' > ' + p.clientWidth);
        });
      });
      out.push('deck ' + name + ' slides ' + slides.length + ' shown-by-js ' + shown + ' first-figure ' + figure);
      finish();
    };
    f.src = name;
    document.body.appendChild(f);
  });
})();
