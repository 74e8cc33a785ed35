"use strict";
// The booking steps, drawn the same for the citizen page (/yoyaku) and the agent's side panel
// in the softphone (BK-WEB: one design and one order of steps, so that an agent can guide a
// caller through the web). Only the API under it differs: staff use their session, citizens
// reach a booking with its code and secret.
//
//   TsunaguBooking.mount(root, { mode: "staff" | "citizen", csrf: () => token, callId: () => id })
//
// Steps: ① 手続き service ② 窓口 office ③ 確認事項 who comes and the checklist ④ 日時 slot
// ⑤ 予約 confirm. After the checklist, booking takes two clicks: a slot, then 予約する.
(function () {
  const DAYS_SHOWN = 7;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function api(mode, csrf) {
    async function call(method, path, body) {
      const headers = { "Content-Type": "application/json" };
      if (mode === "staff" && method !== "GET") headers["X-CSRF-Token"] = csrf ? csrf() : "";
      const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      if (!response.ok) {
        const error = new Error((data && data.message) || `エラー (${response.status})`);
        error.status = response.status;
        throw error;
      }
      return data;
    }
    const base = mode === "staff" ? "/api/booking" : "/api/public";
    const bookings = mode === "staff" ? "/api/bookings" : "/api/public/bookings";
    return {
      offices: () => call("GET", `${base}/offices`),
      slots: (office, service, from, days) =>
        call("GET", `${base}/slots?office=${encodeURIComponent(office)}&service=${encodeURIComponent(service)}&from=${from}&days=${days}`),
      book: (body) => call("POST", bookings, body),
      find: (code, secret) => mode === "staff"
        ? call("GET", `${bookings}/${encodeURIComponent(code)}`)
        : call("POST", `${bookings}/${encodeURIComponent(code)}`, { secret }),
      move: (code, secret, start, reason) => call("POST", `${bookings}/${encodeURIComponent(code)}/move`,
        mode === "staff" ? { start, reason: reason || "" } : { secret, start }),
      cancel: (code, secret, reason) => call("POST", `${bookings}/${encodeURIComponent(code)}/cancel`,
        mode === "staff" ? { reason: reason || "" } : { secret }),
    };
  }

  function tokyoToday() {
    // The calendar is Tokyo's, whatever the browser's zone.
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    return parts; // YYYY-MM-DD
  }

  function addDays(date, days) {
    const d = new Date(`${date}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  const WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];
  function when(start, end) {
    const d = new Date(`${start.slice(0, 10)}T00:00:00Z`);
    const [y, m, day] = start.slice(0, 10).split("-").map(Number);
    return `${y}年${m}月${day}日（${WEEKDAYS[d.getUTCDay()]}）${start.slice(11, 16)}〜${(end || "").slice(11, 16)}`;
  }

  const STYLE = `
.bk { font-size: 1rem; }
.bk fieldset { border: 1px solid #d5d9e0; border-radius: 8px; margin: 0 0 .8rem; padding: .6rem .8rem; }
.bk legend { font-weight: 700; padding: 0 .3rem; }
.bk legend small, .bk-choice small { color: #5a6475; font-weight: 400; }
.bk-tabs { display: flex; gap: .3rem; margin-bottom: .6rem; flex-wrap: wrap; }
.bk-tab { flex: 1 1 12rem; padding: .6rem; border: 1px solid #8a94a6; background: #fff; border-radius: 6px; cursor: pointer; font-size: 1rem; }
.bk-tab.bk-active { background: #1d3557; color: #fff; border-color: #1d3557; }
.bk-hidden { display: none; }
.bk-choices { display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
.bk-choice { display: inline-flex; align-items: center; gap: .2rem; padding: .3rem 0; }
.bk-check { display: flex; align-items: flex-start; gap: .4rem; padding: .25rem 0; line-height: 1.4; }
.bk-check input { margin-top: .25rem; width: 1.1rem; height: 1.1rem; flex: none; }
.bk-label { display: block; margin: .5rem 0 .2rem; color: #3a4150; }
.bk select, .bk input[type=text], .bk input[type=email] { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .45rem; }
.bk-note { color: #5a6475; font-size: .9rem; margin: .3rem 0; }
.bk-week { display: flex; justify-content: space-between; margin-bottom: .4rem; }
.bk-week button, .bk-row button { font-size: 1rem; padding: .5rem .9rem; border-radius: 6px; border: 1px solid #8a94a6; background: #fff; cursor: pointer; }
.bk-day { display: grid; grid-template-columns: 5.5rem 1fr; gap: .4rem; padding: .35rem 0; border-top: 1px solid #eef0f3; align-items: start; }
.bk-date { font-weight: 600; padding-top: .35rem; }
.bk-slots { display: flex; flex-wrap: wrap; gap: .3rem; }
.bk-slot { min-width: 4.6rem; padding: .3rem .4rem; border: 1px solid #2a9d8f; border-radius: 6px; background: #fff; cursor: pointer; font-size: .95rem; line-height: 1.2; }
.bk-slot .bk-left { display: block; font-size: .75rem; color: #2a9d8f; }
.bk-slot:disabled { border-color: #d5d9e0; color: #9aa3b2; cursor: default; background: #f4f5f7; }
.bk-slot:disabled .bk-left { color: #9aa3b2; }
.bk-slot.bk-picked { background: #2a9d8f; color: #fff; }
.bk-slot.bk-picked .bk-left { color: #fff; }
.bk-closed { color: #8a5a00; padding-top: .35rem; }
.bk-row { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: .6rem; }
.bk-primary { background: #2a9d8f !important; color: #fff; border-color: #2a9d8f !important; font-weight: 700; }
.bk-primary:disabled { opacity: .45; cursor: default; }
.bk-danger { background: #c0392b !important; color: #fff; border-color: #c0392b !important; }
.bk-message { min-height: 1.3rem; color: #c0392b; margin: .3rem 0; }
.bk-message.bk-ok { color: #1e7d34; }
.bk-result:not(:empty), .bk-found:not(:empty) { border: 2px solid #2a9d8f; border-radius: 8px; padding: .7rem; margin-top: .6rem; background: #f2fbf9; }
.bk-done { font-weight: 700; color: #1e7d34; }
.bk-code { font-size: 1.8rem; font-weight: 700; letter-spacing: .08em; font-variant-numeric: tabular-nums; }
@media (max-width: 480px) { .bk-day { grid-template-columns: 1fr; } .bk-date { padding-top: 0; } .bk-slot { min-width: 4.2rem; } }
`;

  function mount(root, options) {
    if (!document.getElementById("bk-style")) {
      document.head.append(h("style", { id: "bk-style" }, STYLE));
    }
    const mode = options.mode;
    const client = api(mode, options.csrf);
    const state = { catalogue: null, service: null, office: null, visitor: null, checked: new Set(), from: tokyoToday(), slot: null, found: null, secret: "" };
    root.classList.add("bk");

    const message = h("div", { class: "bk-message", role: "alert", id: "bk-message" });
    const say = (text, ok) => { message.textContent = text || ""; message.classList.toggle("bk-ok", !!ok); };

    // ---- New booking -------------------------------------------------------------------
    const serviceBox = h("div", { class: "bk-choices", id: "bk-services" });
    const officeSelect = h("select", { id: "bk-office", "aria-label": "窓口 Office", onchange: () => { state.office = officeSelect.value || null; state.slot = null; drawGrid(); drawSummary(); } });
    const officeAddress = h("div", { class: "bk-note", id: "bk-office-address" });
    const visitorBox = h("div", { class: "bk-choices", id: "bk-visitors" });
    const checklistBox = h("div", { class: "bk-checklist", id: "bk-checklist" });
    const grid = h("div", { class: "bk-grid", id: "bk-grid" });
    const summary = h("div", { class: "bk-summary", id: "bk-summary" });
    const email = h("input", { type: "email", id: "bk-email", autocomplete: "email", placeholder: "example@example.jp" });
    const bookButton = h("button", { class: "bk-primary", id: "bk-book", type: "button", disabled: true, onclick: book }, "予約する Book");
    const result = h("div", { class: "bk-result", id: "bk-result", "aria-live": "polite" });

    const newPane = h("div", { id: "bk-new" },
      h("fieldset", {}, h("legend", {}, "① 手続き ", h("small", {}, "Service")), serviceBox),
      h("fieldset", {}, h("legend", {}, "② 窓口 ", h("small", {}, "Office")), officeSelect, officeAddress),
      h("fieldset", {}, h("legend", {}, "③ 確認事項 ", h("small", {}, "Before booking")),
        h("div", { class: "bk-label" }, "来庁される方 Who comes"), visitorBox, checklistBox),
      h("fieldset", {}, h("legend", {}, "④ 日時 ", h("small", {}, "Date and time")),
        h("div", { class: "bk-week" },
          h("button", { type: "button", id: "bk-prev", onclick: () => { state.from = addDays(state.from, -DAYS_SHOWN); drawGrid(); } }, "◀ 前の週"),
          h("button", { type: "button", id: "bk-next", onclick: () => { state.from = addDays(state.from, DAYS_SHOWN); drawGrid(); } }, "次の週 ▶")),
        grid),
      h("fieldset", {}, h("legend", {}, "⑤ 予約 ", h("small", {}, "Confirm")), summary,
        mode === "citizen" ? h("label", { for: "bk-email", class: "bk-label" }, "メールアドレス（任意。予約のお知らせだけに使い、予約日の後に消去します）") : null,
        mode === "citizen" ? email : null,
        h("div", { class: "bk-row" }, bookButton)),
      result);

    // ---- Find, change, cancel ----------------------------------------------------------
    const codeInput = h("input", { type: "text", id: "bk-find-code", inputmode: "numeric", placeholder: "1234-5678", autocomplete: "off" });
    const secretInput = h("input", { type: "text", id: "bk-find-secret", inputmode: "numeric", placeholder: "123456", autocomplete: "off" });
    const foundBox = h("div", { class: "bk-found", id: "bk-found" });
    const findPane = h("div", { id: "bk-find", class: "bk-hidden" },
      h("label", { for: "bk-find-code", class: "bk-label" }, "予約番号 Booking code"), codeInput,
      mode === "citizen" ? h("label", { for: "bk-find-secret", class: "bk-label" }, "確認コード Secret (6 digits)") : null,
      mode === "citizen" ? secretInput : null,
      h("div", { class: "bk-row" }, h("button", { type: "button", id: "bk-find-button", class: "bk-primary", onclick: find }, "予約を確認 Find")),
      foundBox);

    const tabNew = h("button", { type: "button", class: "bk-tab bk-active", id: "bk-tab-new", onclick: () => tab(true) }, "新しく予約する New");
    const tabFind = h("button", { type: "button", class: "bk-tab", id: "bk-tab-find", onclick: () => tab(false) }, "予約の確認・変更・取消 Find / change");
    function tab(isNew) {
      tabNew.classList.toggle("bk-active", isNew); tabFind.classList.toggle("bk-active", !isNew);
      newPane.classList.toggle("bk-hidden", !isNew); findPane.classList.toggle("bk-hidden", isNew);
      say("");
    }
    root.append(h("div", { class: "bk-tabs" }, tabNew, tabFind), message, newPane, findPane);

    function offersOf(service) {
      return state.catalogue.offices.filter((o) => o.services.some((s) => s.service === service));
    }
    function checklist() {
      const entry = state.catalogue.services.find((s) => s.service === state.service);
      return entry && entry.checklist;
    }
    const VISITORS = { resident: "本人", legal_representative: "法定代理人", voluntary_proxy: "任意代理人（委任状）" };

    function drawServices() {
      serviceBox.replaceChildren(...state.catalogue.services
        .filter((s) => offersOf(s.service).length > 0)
        .map((s) => h("label", { class: "bk-choice" },
          h("input", { type: "radio", name: "bk-service", value: s.service, checked: state.service === s.service,
            onchange: () => { state.service = s.service; state.visitor = null; state.checked.clear(); state.slot = null; drawOffices(); drawChecklist(); drawGrid(); drawSummary(); } }),
          ` ${s.name} `, h("small", {}, s.name_en))));
    }
    function drawOffices() {
      const offices = state.service ? offersOf(state.service) : [];
      if (!offices.some((o) => o.id === state.office)) state.office = null;
      officeSelect.replaceChildren(h("option", { value: "" }, "窓口を選んでください"),
        ...offices.map((o) => h("option", { value: o.id, selected: o.id === state.office }, o.name)));
      const office = state.catalogue.offices.find((o) => o.id === state.office);
      officeAddress.textContent = office ? office.address : "";
    }
    function drawChecklist() {
      const list = checklist();
      if (!list) { visitorBox.replaceChildren(); checklistBox.replaceChildren(); return; }
      visitorBox.replaceChildren(...list.visitors.map((v) => h("label", { class: "bk-choice" },
        h("input", { type: "radio", name: "bk-visitor", value: v, checked: state.visitor === v,
          onchange: () => { state.visitor = v; drawChecklist(); drawSummary(); } }), ` ${VISITORS[v] || v}`)));
      const items = list.items.filter((i) => !i.visitor || i.visitor === state.visitor);
      checklistBox.replaceChildren(...(state.visitor ? items : []).map((i) => h("label", { class: "bk-check" },
        h("input", { type: "checkbox", value: i.id, "data-item": i.id, checked: state.checked.has(i.id),
          onchange: (e) => { if (e.target.checked) state.checked.add(i.id); else state.checked.delete(i.id); drawSummary(); } }),
        " ", i.ja)));
    }
    function checklistComplete() {
      const list = checklist();
      if (!list || !state.visitor) return false;
      return list.items.filter((i) => !i.visitor || i.visitor === state.visitor).every((i) => state.checked.has(i.id));
    }

    async function drawSlots(box, office, service, onPick, picked) {
      if (!office || !service) { box.replaceChildren(h("div", { class: "bk-note" }, "手続きと窓口を選ぶと空き状況が出ます")); return; }
      box.replaceChildren(h("div", { class: "bk-note" }, "読み込み中… Loading"));
      try {
        const data = await client.slots(office, service, state.from, DAYS_SHOWN);
        box.replaceChildren(...data.days.map((day) => h("div", { class: "bk-day", "data-date": day.date },
          h("div", { class: "bk-date" }, `${Number(day.date.slice(5, 7))}/${Number(day.date.slice(8, 10))}（${day.weekday}）`),
          day.closed ? h("div", { class: "bk-closed" }, day.closed) : h("div", { class: "bk-slots" },
            ...day.slots.map((slot) => {
              const full = slot.remaining <= 0;
              const usable = slot.open_for_booking && !full;
              return h("button", { type: "button", class: `bk-slot${picked && picked() === slot.key ? " bk-picked" : ""}${full ? " bk-full" : ""}`,
                "data-slot": slot.key, "data-remaining": slot.remaining, disabled: !usable,
                title: `${slot.start}〜${slot.end}`,
                onclick: () => { onPick(slot); box.querySelectorAll(".bk-slot").forEach((b) => b.classList.toggle("bk-picked", b.dataset.slot === slot.key)); } },
                slot.start, h("span", { class: "bk-left" }, full ? "満" : slot.open_for_booking ? `残${slot.remaining}` : "—"));
            })))));
      } catch (e) { box.replaceChildren(h("div", { class: "bk-closed" }, e.message)); }
    }
    function drawGrid() {
      drawOffices();
      return drawSlots(grid, state.office, state.service, (slot) => { state.slot = slot; drawSummary(); }, () => state.slot && state.slot.key);
    }
    function drawSummary() {
      const office = state.catalogue && state.catalogue.offices.find((o) => o.id === state.office);
      const service = state.catalogue && state.catalogue.services.find((s) => s.service === state.service);
      const lines = [];
      if (service) lines.push(h("div", {}, `手続き：${service.name}`));
      if (office) lines.push(h("div", {}, `窓口：${office.name}`));
      if (state.visitor) lines.push(h("div", {}, `来庁される方：${VISITORS[state.visitor]}`));
      if (state.slot) lines.push(h("div", {}, `日時：${when(state.slot.key, `${state.slot.key.slice(0, 11)}${state.slot.end}`)}`));
      const missing = !service ? "① 手続きを選んでください" : !office ? "② 窓口を選んでください"
        : !checklistComplete() ? "③ 確認事項をすべて確認してください" : !state.slot ? "④ 日時を選んでください" : "";
      if (missing) lines.push(h("div", { class: "bk-note" }, missing));
      summary.replaceChildren(...lines);
      bookButton.disabled = !!missing;
    }

    async function book() {
      bookButton.disabled = true;
      say("");
      const body = { office: state.office, service: state.service, start: state.slot.key, visitor: state.visitor, checked: [...state.checked] };
      if (mode === "staff" && options.callId && options.callId()) body.call_id = options.callId();
      if (mode === "citizen" && email.value.trim()) body.email = email.value.trim();
      try {
        const booked = await client.book(body);
        result.replaceChildren(
          h("div", { class: "bk-done" }, "予約しました Booked"),
          h("div", {}, "予約番号 Booking code"), h("div", { class: "bk-code", id: "bk-code" }, booked.display_code),
          h("div", {}, "確認コード Secret"), h("div", { class: "bk-code", id: "bk-secret" }, booked.secret),
          h("div", {}, `${booked.service_name}　${booked.office_name}`),
          h("div", { id: "bk-when" }, when(booked.start, booked.end)),
          h("div", { class: "bk-note" }, mode === "staff"
            ? "予約番号と確認コードをゆっくり読み上げてください。確認コードはウェブで変更・取消するときに使います。"
            : "予約番号と確認コードを控えてください。変更・取消に使います。当日は予約番号をお知らせください。"));
        say("予約しました。Booked.", true);
        result.scrollIntoView({ block: "nearest" });
        email.value = "";
        if (options.onBooked) options.onBooked(booked);
        state.slot = null;
        await drawGrid();
        drawSummary();
      } catch (e) {
        say(e.message);
        if (e.status === 409) { state.slot = null; await drawGrid(); }
        drawSummary();
      }
    }

    // ---- Find / change / cancel --------------------------------------------------------
    async function find() {
      say("");
      foundBox.replaceChildren();
      state.secret = secretInput.value.trim();
      try {
        state.found = await client.find(codeInput.value.trim(), state.secret);
        drawFound();
      } catch (e) { say(e.message); }
    }
    function drawFound() {
      const b = state.found;
      const cancelled = b.status !== "booked";
      const mayChange = mode === "staff" ? b.booker_may_change : b.may_change;
      const reason = h("input", { type: "text", id: "bk-reason", placeholder: "理由（期限後の変更・取消に必要） Reason" });
      const moveGrid = h("div", { class: "bk-grid", id: "bk-move-grid" });
      let moveTo = null;
      const moveButton = h("button", { type: "button", id: "bk-move", disabled: true, onclick: async () => {
        try {
          state.found = await client.move(b.code, state.secret, moveTo, reason.value);
          if (mode === "staff") state.found = await client.find(b.code, state.secret);
          say("日時を変更しました。Changed.", true); drawFound();
        } catch (e) { say(e.message); }
      } }, "この日時に変更 Change");
      const cancelButton = h("button", { type: "button", class: "bk-danger", id: "bk-cancel", onclick: async () => {
        if (!window.confirm("この予約を取り消しますか？ Cancel this booking?")) return;
        try {
          state.found = await client.cancel(b.code, state.secret, reason.value);
          if (mode === "staff") state.found = await client.find(b.code, state.secret);
          say("予約を取り消しました。Cancelled.", true); drawFound();
        } catch (e) { say(e.message); }
      } }, "予約を取り消す Cancel booking");
      const KINDS = { created: "予約", changed: "変更", cancelled: "取消", changed_override: "変更（期限後）", cancelled_override: "取消（期限後）", imported: "移行" };
      const tokyo = (instant) => new Date(instant).toLocaleString("ja-JP", { timeZone: "Asia/Tokyo", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
      const history = (b.history || []).map((e) => h("li", {}, `${tokyo(e.at)} ${KINDS[e.kind] || e.kind} ${e.actor === "booker" ? "予約者" : e.actor}${e.reason ? `（${e.reason}）` : ""}`));
      foundBox.replaceChildren(
        h("div", { class: "bk-code", id: "bk-found-code" }, b.display_code),
        h("div", { id: "bk-found-status" }, cancelled ? "取消済み Cancelled" : "予約中 Booked"),
        h("div", {}, `${b.service_name}　${b.office_name}`),
        h("div", { id: "bk-found-when" }, when(b.start, b.end)),
        cancelled ? null : h("div", {},
          !mayChange && mode === "citizen" ? h("div", { class: "bk-note" }, "変更・取消の期限を過ぎています。コールセンターにお電話ください。") : null,
          mode === "citizen" && !mayChange ? null : h("div", {},
            mode === "staff" ? reason : null,
            h("div", { class: "bk-label" }, "新しい日時 New time"), moveGrid,
            h("div", { class: "bk-row" }, moveButton, cancelButton))),
        history.length ? h("details", { open: true }, h("summary", {}, "履歴 History"), h("ul", { id: "bk-history" }, ...history)) : null);
      if (!cancelled && (mode === "staff" || mayChange)) {
        drawSlots(moveGrid, b.office, b.service, (slot) => { moveTo = slot.key; moveButton.disabled = false; }, () => moveTo);
      }
    }

    (async function start() {
      try {
        state.catalogue = await client.offices();
        drawServices(); drawOffices(); drawChecklist(); drawGrid(); drawSummary();
        root.dataset.ready = "true";
      } catch (e) { say(e.message); }
    })();
    return { reload: drawGrid };
  }

  window.TsunaguBooking = { mount };
})();
