// Shows and hides dependent questions as the physician answers, with the
// conditions of the template's form definition (data-depends), and
// disables the inputs of hidden questions so they are not sent. The server
// evaluates the same conditions with the same intake rules.
(function () {
  const form = document.getElementById('certificate-form');
  if (!form) return;

  // values returns the answers found at a JSON Pointer such as
  // /answers/basis/*/type, read from the inputs named answers.<field>…,
  // as the question's widget kind (data-widget) lays them out.
  function values(pointer) {
    const toks = pointer.split('/').slice(1);
    if (toks[0] !== 'answers' || toks.length < 2) return [];
    const name = 'answers.' + toks[1];
    const q = form.querySelector('[data-field="' + name + '"]');
    const out = [];
    if (!q) return out;
    switch (q.dataset.widget) {
    case 'periods':
      // A row with a date is a chosen option: answers.<field>.<option>.<from|to>.
      if (toks.length < 4 || toks[3] !== q.dataset.optionKey) return out;
      q.querySelectorAll('input[name^="' + name + '."]').forEach(function (el) {
        const opt = el.name.slice(name.length + 1).split('.')[0];
        if (el.value && !el.disabled && out.indexOf(opt) < 0) out.push(opt);
      });
      return out;
    case 'checkboxDates':
    case 'areaTexts':
      // The ticked boxes are the chosen options.
      if (toks.length >= 4 && toks[3] !== q.dataset.optionKey) return out;
      break;
    }
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.disabled) return;
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) out.push(el.value);
      } else if (el.value.trim() !== '') {
        out.push(el.value.trim());
      }
    });
    return out;
  }

  function holds(c) {
    if (!c) return true;
    if (c.not) return !holds(c.not);
    if (c.allOf) return c.allOf.every(holds);
    if (c.anyOf) return c.anyOf.some(holds);
    const vs = values(c.field);
    if (c.present !== undefined) return (vs.length > 0) === c.present;
    if (c.equals !== undefined) return vs.indexOf(String(c.equals)) >= 0;
    if (c['in']) return c['in'].some(function (x) { return vs.indexOf(String(x)) >= 0; });
    return false;
  }

  function update() {
    // Repeat until stable: hiding one question may hide another.
    for (let round = 0; round < 5; round++) {
      let changed = false;
      form.querySelectorAll('[data-depends]').forEach(function (q) {
        const show = holds(JSON.parse(q.dataset.depends));
        if (q.hidden === show) {
          q.hidden = !show;
          q.querySelectorAll('input, textarea, select').forEach(function (el) { el.disabled = !show; });
          changed = true;
        }
      });
      if (!changed) break;
    }
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  update();
})();
