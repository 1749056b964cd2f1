// Shows and hides dependent questions as the physician answers, with the
// conditions of the template's form definition (data-depends), and
// disables the inputs of hidden questions so they are not sent. The server
// evaluates the same conditions with the same intake rules. A screen
// reader is told politely which follow-up question came or went (the
// focus stays where it is), not when the page loads nor when the tab's
// unsaved answers are filled in again (a change event whose detail is
// 'refill': the refill's notice says so).
(function () {
  const form = document.getElementById('certificate-form');
  if (!form) return;
  const status = document.getElementById('follow-up-status');

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

  function update(e) {
    const said = [];
    // Repeat until stable: hiding one question may hide another.
    for (let round = 0; round < 5; round++) {
      let changed = false;
      form.querySelectorAll('[data-depends]').forEach(function (q) {
        const show = holds(JSON.parse(q.dataset.depends));
        if (q.hidden === show) {
          q.hidden = !show;
          q.querySelectorAll('input, textarea, select').forEach(function (el) { el.disabled = !show; });
          said.push('Följdfrågan ' + q.dataset.label + (show ? ' visas.' : ' döljs.'));
          changed = true;
        }
      });
      if (!changed) break;
    }
    if (e && e.detail !== 'refill' && status && said.length) status.textContent = said.join(' ');
  }
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  // A question the server hid is not answered: its inputs count for no
  // other question's condition (a renewal's follow-up whose question is
  // hidden stays hidden) and are not sent.
  form.querySelectorAll('[data-depends][hidden]').forEach(function (q) {
    q.querySelectorAll('input, textarea, select').forEach(function (el) { el.disabled = true; });
  });
  update();
})();

// After a refused submit the error summary takes the focus, so that a
// screen reader reads it and a keyboard user starts from the list of links.
// A page without a summary (the certificate page, its message, answer and
// revocation forms far down) moves to the first refused form's first
// message instead, which would otherwise be out of sight below the page
// shown again.
(function () {
  const summary = document.getElementById('error-summary');
  if (summary) {
    summary.focus();
    return;
  }
  const first = document.querySelector('form .error:not([hidden])');
  if (!first) return;
  const details = first.closest('details');
  if (details) details.open = true;
  first.setAttribute('tabindex', '-1');
  first.focus();
})();

// Character counters: "N tecken kvar" under each text with a limit, which
// describes the text (read when it gets focus). A screen reader is told
// only when few are left, or none, not at every key.
(function () {
  document.querySelectorAll('[data-counter]').forEach(function (el) {
    const out = document.getElementById(el.dataset.counter);
    const max = parseInt(el.getAttribute('maxlength'), 10);
    if (!out || !max) return;
    const live = document.createElement('span');
    live.className = 'visually-hidden';
    live.setAttribute('aria-live', 'polite');
    out.after(live);
    let said = '';
    function update() {
      const left = max - Array.from(el.value).length;
      out.textContent = left + ' av ' + max + ' tecken kvar';
      const now = left <= 0 ? 'Inga tecken kvar.' : left <= 100 ? 'Färre än 100 tecken kvar.' : '';
      if (now !== said) {
        live.textContent = now;
        said = now;
      }
    }
    el.addEventListener('input', update);
    update();
  });
})();

// Periods: days per row and in total as the physician types, both days
// counted, as the record will count them.
(function () {
  function days(from, to) {
    if (!from || !to) return 0;
    const a = Date.parse(from + 'T00:00:00Z'), b = Date.parse(to + 'T00:00:00Z');
    if (isNaN(a) || isNaN(b) || b < a) return 0;
    return Math.round((b - a) / 86400000) + 1;
  }
  document.querySelectorAll('table[data-periods]').forEach(function (table) {
    function update() {
      let total = 0;
      table.querySelectorAll('tbody tr').forEach(function (row) {
        const inputs = row.querySelectorAll('input[type=date]');
        const n = days(inputs[0].value, inputs[1].value);
        total += n;
        row.querySelector('output.days').textContent = n ? n + (n === 1 ? ' dag' : ' dagar') : '';
      });
      table.querySelector('output.days-total').textContent = total ? total + (total === 1 ? ' dag' : ' dagar') : '';
    }
    table.addEventListener('input', update);
    table.addEventListener('change', update);
    update();
  });
})();

// Diagnosis codes: suggestions from the code list as the physician types
// a code or words of its title, and the chosen code's title beside it.
// Without JavaScript the plain input works the same.
(function () {
  document.querySelectorAll('input[data-code-list]').forEach(function (input) {
    const list = document.getElementById(input.getAttribute('list'));
    const title = document.getElementById('title-' + input.name);
    let timer = null, seq = 0;
    function search() {
      const q = input.value.trim();
      if (q.length < 2) { list.replaceChildren(); if (title) title.textContent = ''; return; }
      const mine = ++seq;
      fetch('/codes/' + encodeURIComponent(input.dataset.codeList) + '?limit=15&q=' + encodeURIComponent(q), {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (body) {
          if (mine !== seq) return;
          list.replaceChildren.apply(list, body.items.map(function (m) {
            const o = document.createElement('option');
            o.value = m.code;
            o.label = m.code + ' ' + m.title;
            o.textContent = m.title;
            return o;
          }));
          const bare = q.replace('.', '').toUpperCase();
          const exact = body.items.find(function (m) { return m.code.replace('.', '') === bare; });
          if (title) title.textContent = exact ? exact.title : '';
        })
        .catch(function () {});
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
  });
})();

// A date or text entered beside an option ticks it: what is typed there
// is meant to go with the certificate (the server refuses a detail beside
// an option left unticked, rather than drop it).
document.querySelectorAll('.choice-row').forEach(function (row) {
  const box = row.querySelector('input[type="checkbox"]');
  if (!box) return;
  row.querySelectorAll('textarea, input[type="date"]').forEach(function (detail) {
    detail.addEventListener('input', function () {
      if (!box.checked && detail.value.trim() !== '') {
        box.checked = true;
        box.dispatchEvent(new Event('change', {bubbles: true}));
      }
    });
  });
});

// Comparing needs two ticked certificates: said beside the button, the
// ticks kept, before the server's error page (without a script) would.
(function () {
  const form = document.getElementById('compare-form');
  const button = document.getElementById('compare');
  const say = document.getElementById('compare-error');
  if (!form || !button || !say) return;
  button.addEventListener('click', function (e) {
    if (form.querySelectorAll('input[name="id"]:checked').length !== 2) {
      e.preventDefault();
      say.hidden = false;
      button.focus();
    }
  });
  form.addEventListener('change', function () { say.hidden = true; });
})();

// The review is a draft's: its own address in the history, so that signing
// in again after the session ended at the review comes back to it.
(function () {
  const sign = document.getElementById('sign-form');
  if (sign && sign.dataset.reviewUrl && location.pathname !== sign.dataset.reviewUrl) {
    history.replaceState(null, '', sign.dataset.reviewUrl);
  }
})();

// copyKey names the tab's copy (below) of the form posting to action: the
// signed-in person's, and which of the form's copies (a draft's id, "new",
// "keep").
function copyKey(action, which) {
  return 'intyg-unsaved:' + (document.body.dataset.person || '') + ':' + action + ':' + which;
}

// fillIn puts the values of a tab's copy (below) back in form's inputs.
function fillIn(form, saved) {
  form.querySelectorAll('input, textarea, select').forEach(function (el) {
    // Of the hidden inputs, only the save the copy was made after: a copy
    // over a draft saved elsewhere since is then refused, not saved over it.
    if (el.name === 'draftSaved' && saved.get(el.name)) el.value = saved.get(el.name);
    if (!el.name || el.type === 'hidden') return;
    if (el.type === 'checkbox' || el.type === 'radio') {
      el.checked = saved.getAll(el.name).indexOf(el.value) >= 0;
    } else if (saved.has(el.name)) {
      el.value = saved.get(el.name);
    }
  });
}

// The tab's copies of unsent forms (below) are a person's: kept under
// their account id, dropped when they sign out, when another person signs
// in on the tab, and when a page answers the form's post (the server has
// the answers then: a draft, the review, the signed certificate).
(function () {
  const person = document.body.dataset.person;
  const drop = document.body.dataset.dropUnsaved;
  function dropWhere(test) {
    try {
      for (let i = sessionStorage.length - 1; i >= 0; i--) {
        const k = sessionStorage.key(i);
        if (k && k.indexOf('intyg-unsaved:') === 0 && test(k)) sessionStorage.removeItem(k);
      }
    } catch (e) {}
  }
  const dropKept = document.body.dataset.dropKept !== undefined;
  if (person) {
    const mine = 'intyg-unsaved:' + person + ':';
    dropWhere(function (k) {
      return k.indexOf(mine) !== 0 || (drop && k.indexOf(mine + drop + ':') === 0) || (dropKept && /:keep$/.test(k));
    });
  }
  document.querySelectorAll('form[action="/sign-out"]').forEach(function (f) {
    f.addEventListener('submit', function () { dropWhere(function () { return true; }); });
  });
})();

// The certificate page's smaller forms (a message, an answer, a
// revocation; data-keep) keep a copy of what is typed in the tab too, so
// that a session that ends before they are sent loses nothing: after
// signing in again the page comes back and the copy fills the form in.
(function () {
  document.querySelectorAll('form[data-keep]').forEach(function (form) {
    const key = copyKey(form.getAttribute('action'), 'keep');
    function keep() {
      try { sessionStorage.setItem(key, new URLSearchParams(new FormData(form)).toString()); } catch (e) {}
    }
    let copy = null;
    try { copy = sessionStorage.getItem(key); } catch (e) {}
    if (copy) {
      fillIn(form, new URLSearchParams(copy));
      const details = form.closest('details');
      if (details) details.open = true;
    }
    form.addEventListener('input', keep);
    form.addEventListener('change', keep);
    form.addEventListener('submit', keep);
  });
})();

// Drafts: the form saves itself a few seconds after a change (the
// "Spara utkast" button does the same without JavaScript). Until a save
// has gone through, the tab keeps a copy of the answers (sessionStorage,
// gone with the tab), so that a session that ends mid-form loses nothing:
// after signing in again the form comes back and the copy fills it in.
(function () {
  const form = document.getElementById('certificate-form');
  if (!form || !form.dataset.draftUrl) return;
  const status = document.getElementById('autosave-status');
  const draftInput = form.querySelector('input[name="draft"]');
  const savedInput = form.querySelector('input[name="draftSaved"]');
  const action = form.getAttribute('action');
  function key() { return copyKey(action, draftInput.value || 'new'); }
  const firstKey = key();
  // stopped: the draft was saved in another tab, or signed, since this
  // one opened it; this tab saves no more (the server would refuse).
  // inFlight: a save is on its way; the next waits for its answer, which
  // says the save the next one is made over (draftSaved).
  let timer = null, dirty = false, stopped = false, inFlight = false;
  // failures counts the saves that failed since the last that went
  // through: one that may go through later (no answer, signed out, too
  // many at once, the server's fault) is tried again by itself, later
  // each time (retryDelays, the last one from then on), until one goes
  // through; one the server refuses as it stands (another unit's or a
  // locked draft, too large) waits for the next change.
  let failures = 0;
  const retryDelays = [5000, 10000, 30000, 60000];
  // stops are the refusals (409 codes) after which this tab saves no
  // more. What they say is the server's problem detail (Swedish, from its
  // catalogue): the words have one home.
  const stops = ['draftChanged', 'draftSigned'];

  function values() {
    return new URLSearchParams(new FormData(form));
  }
  function keepCopy() {
    try { sessionStorage.setItem(key(), values().toString()); } catch (e) {}
  }
  function dropCopy() {
    try { sessionStorage.removeItem(key()); sessionStorage.removeItem(firstKey); } catch (e) {}
  }
  function say(text) { if (status) status.textContent = text; }
  // sayWayOn says text with a link to the draft the answers are in (url):
  // a deleted draft's own page is gone.
  function sayWayOn(text, url) {
    if (!status) return;
    const a = document.createElement('a');
    a.href = url;
    a.id = 'draft-saved-as';
    a.textContent = 'Öppna det nya utkastet';
    status.textContent = text + ' ';
    status.appendChild(a);
  }

  // save sends the answers not yet saved. keepalive: the tab is being
  // hidden or left, and the browser is to send the save even if the page
  // goes (its limit is 64 KB a body; a larger one goes as usual).
  function save(keepalive) {
    timer = null;
    if (!dirty || stopped) return;
    if (inFlight) {
      timer = setTimeout(save, 500);
      return;
    }
    dirty = false;
    inFlight = true;
    const sent = values().toString();
    fetch(form.dataset.draftUrl, {
      method: 'POST', credentials: 'same-origin', redirect: 'manual', keepalive: !!keepalive && sent.length < 60000,
      headers: {'Accept': 'application/json', 'Accept-Language': 'sv', 'Content-Type': 'application/x-www-form-urlencoded'},
      body: sent
    }).then(function (r) {
      if (!r.ok) {
        // The problem document, if the server sent one (not a proxy's
        // page): its code, and its detail in the page's Swedish.
        return r.json().catch(function () { return {}; }).then(function (p) {
          const e = new Error('not saved');
          e.status = r.status;
          e.code = p.code;
          e.detail = typeof p.detail === 'string' ? p.detail : '';
          e.notice = p.notice;
          e.url = p.url;
          throw e;
        });
      }
      return r.json();
    }).then(function (body) {
      // Only what was sent is saved: answers typed while the save was on
      // its way stay in the tab's copy, now under the draft's id.
      const newer = values().toString() !== sent;
      dropCopy();
      draftInput.value = body.id;
      if (savedInput) savedInput.value = body.savedAt;
      if (newer) keepCopy();
      if (location.pathname !== body.url) history.replaceState(null, '', body.url);
      const t = new Date(body.savedAt);
      // A draft deleted in another tab is a new one now (body.notice): the
      // form carries on under its id.
      say(body.notice || 'Utkastet sparades ' + (failures ? 'igen ' : '') + t.toLocaleTimeString('sv-SE', {hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Stockholm'}) + '.');
      failures = 0;
    }).catch(function (e) {
      if (e.status === 409 && stops.includes(e.code) && (e.url || e.detail)) {
        // What was saved elsewhere stands: the tab's copy goes, so that
        // opening the draft again shows it, not these answers over it.
        stopped = true;
        dropCopy();
        if (e.url) sayWayOn(e.notice, e.url);
        else say(e.detail);
        return;
      }
      dirty = true;
      failures++;
      // Why the server refused is its detail; the tab's own words say
      // only what the tab does with the answers (and, where the server
      // sent no words, that the save failed).
      const why = e.detail ? e.detail + ' ' : '';
      if (e.status && e.status !== 401 && e.status !== 429 && e.status < 500) {
        say('Utkastet kunde inte sparas. ' + why + 'Dina svar finns kvar i fliken och sparas när du ändrar något igen.');
        return;
      }
      // A change typed while this save was on its way is saved as soon as
      // changed() set it to be, not after the retry's wait.
      if (values().toString() === sent) {
        clearTimeout(timer);
        timer = setTimeout(save, retryDelays[Math.min(failures, retryDelays.length) - 1]);
      }
      say('Utkastet kunde inte sparas. ' + why + 'Dina svar finns kvar i fliken, och ett nytt försök görs strax; logga in igen om du har blivit utloggad.');
    }).finally(function () {
      inFlight = false;
    });
  }
  function changed() {
    dirty = true;
    keepCopy();
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  }
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  // whenIdle calls fn once no save is on its way.
  function whenIdle(fn) {
    if (inFlight) setTimeout(whenIdle, 50, fn);
    else fn();
  }
  // A form sent while a save is on its way waits for its answer, so that
  // it names the save it is made over (draftSaved), not the one before.
  form.addEventListener('submit', function (e) {
    keepCopy();
    if (!inFlight) {
      sending = true;
      return;
    }
    e.preventDefault();
    const submitter = e.submitter;
    whenIdle(function () { form.requestSubmit(submitter || undefined); });
  });

  // saveNow saves what is not saved yet, once, and resolves when no save
  // is on its way.
  function saveNow() {
    return new Promise(function (resolve) {
      whenIdle(function () {
        if (!dirty || stopped) return resolve();
        clearTimeout(timer);
        save();
        whenIdle(resolve);
      });
    });
  }
  // Signing out saves what was typed since the last save first (else the
  // sign-out would end the session before the save came, and drop the
  // tab's copy): the sign-out's own handlers (which drop the tab's
  // copies) run only once the save has gone through. A save that fails
  // holds the sign-out once, and the page says so (the copy stays); a
  // second click meanwhile waits with the first, one after signs out.
  let signingOut = false, signOut = false, held = false;
  document.addEventListener('submit', function (e) {
    if (signOut || !e.target.matches('form[action="/sign-out"]')) return;
    if (!signingOut && (held || stopped || !(dirty || inFlight))) return;
    e.preventDefault();
    e.stopPropagation();
    if (signingOut) return;
    signingOut = true;
    const f = e.target;
    saveNow().then(function () {
      signingOut = false;
      if (dirty && !stopped) {
        held = true;
        say('Utkastet kunde inte sparas, så du loggades inte ut: dina svar finns kvar i fliken. Logga ut igen för att logga ut ändå.');
        return;
      }
      signOut = true;
      f.requestSubmit();
    });
  }, true);
  // A draft's tab that is hidden, closed or left for another page saves
  // at once what is not saved yet, and the browser sends the save even if
  // the page goes (keepalive). Not when the form itself is sent: its post has the
  // answers, and a save beside it would be made over the same save. Nor
  // a form never saved: its first save makes a draft, whose id the page
  // gone would never learn, and the tab's copy (kept as before) would
  // make a second one the next time a form opens.
  let sending = false;
  function leave() {
    if (!dirty || stopped || inFlight || signingOut || sending || !draftInput.value) return;
    clearTimeout(timer);
    save(true);
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') leave();
  });
  window.addEventListener('pagehide', leave);

  // A form that the browser brings back from its back/forward cache shows
  // the draft as it was when the tab left it, and names that save
  // (draftSaved): if the draft was saved since (elsewhere, or here after
  // coming back to it), every change here would be refused as if another
  // tab had saved. It opens the draft again instead (its own address: a
  // form shown by a review's post would be posted again by a reload) and
  // shows what was saved last; answers not yet saved are in the tab's
  // copy, which fills them in again. A form never saved has no save to
  // be refused over.
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && draftInput.value) location.replace('/drafts/' + encodeURIComponent(draftInput.value));
  });

  // A copy left from before a sign-in fills the form in again. One that
  // holds the answers the draft has (its save went as the tab left) is
  // dropped: it would only bring back the save it was made over.
  let copy = null;
  try { copy = sessionStorage.getItem(firstKey); } catch (e) {}
  const answersOf = function (params) {
    const p = new URLSearchParams(params);
    p.delete('draftSaved');
    return p.toString();
  };
  if (copy && answersOf(copy) === answersOf(values())) {
    dropCopy();
  } else if (copy) {
    fillIn(form, new URLSearchParams(copy));
    form.dispatchEvent(new CustomEvent('change', {detail: 'refill'}));
    say('Svar som inte hann sparas har fyllts i igen.');
  }
})();

// The menu marks the page it is on.
(function () {
  document.querySelectorAll('header nav a').forEach(function (a) {
    if (a.pathname === location.pathname) a.setAttribute('aria-current', 'page');
  });
})();
