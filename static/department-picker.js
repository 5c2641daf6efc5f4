// An input data-department-picker="URL" (a list's department filter) lists, as the user types,
// the departments they may see whose code or name matches; choosing one, by click or with the
// arrow keys and Enter, puts its code and name in the input and its id in the hidden field named
// in data-id-field. Typing again or clearing the input drops the id: an empty input means every
// department. Without this script the typed text itself is submitted and matched on the server.
document.querySelectorAll("input[data-department-picker]").forEach((input) => {
  const id = input.form.elements[input.dataset.idField];
  const list = document.createElement("ul");
  list.id = `${input.id}-choices`;
  list.className = "dropdown-menu w-100";
  list.setAttribute("role", "listbox");
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  let found = [];
  let active = -1;
  let timer;
  let asked = 0; // an answer to anything but the latest question is dropped
  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((item, n) => {
      item.classList.toggle("active", n === index);
      item.setAttribute("aria-selected", String(n === index));
    });
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
    } else {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    }
  };
  const show = (open) => {
    list.classList.toggle("show", open);
    input.setAttribute("aria-expanded", String(open));
    if (!open) highlight(-1);
  };
  // Closing also drops the answer still on its way, which would open the list again.
  const close = () => {
    asked++;
    clearTimeout(timer);
    show(false);
  };
  const choose = (department) => {
    input.value = department.label;
    id.value = department.id;
    close();
  };
  const option = (department, n) => {
    const item = document.createElement("li");
    item.id = `${list.id}-${n}`;
    item.className = "dropdown-item";
    item.setAttribute("role", "option");
    item.textContent = department.label;
    // mousedown, not click: the input keeps the focus, so its blur does not close the list first.
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      choose(department);
    });
    return item;
  };
  const load = async () => {
    const question = ++asked;
    const query = new URLSearchParams({ q: input.value.trim() });
    const response = await fetch(`${input.dataset.departmentPicker}?${query}`, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const results = (await response.json()).results;
    if (question !== asked) return;
    found = results;
    if (found.length) {
      list.replaceChildren(...found.map(option));
    } else {
      const none = document.createElement("li");
      none.className = "dropdown-item-text text-body-secondary";
      none.setAttribute("role", "option");
      none.setAttribute("aria-disabled", "true");
      none.textContent = input.dataset.noMatch;
      list.replaceChildren(none);
    }
    show(true);
  };
  input.addEventListener("input", () => {
    id.value = "";
    clearTimeout(timer);
    if (input.value.trim()) {
      timer = setTimeout(load, 150);
    } else {
      close();
    }
  });
  input.addEventListener("keydown", (event) => {
    const open = list.classList.contains("show");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open) {
        load();
      } else if (found.length) {
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + found.length) % found.length);
      }
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault(); // the first Enter chooses; the next one submits the form
      choose(found[active]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
});
