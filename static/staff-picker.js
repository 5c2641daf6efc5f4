// An input data-staff-picker="URL" lists, as the filer types, the staff in post of the department
// chosen in its form (name, then staff number and post); picking a name fills the empty field
// named in data-post-field with that person's post.
document.querySelectorAll("input[data-staff-picker]").forEach((input) => {
  const list = document.getElementById(input.getAttribute("list"));
  const post = input.dataset.postField && input.form.elements[input.dataset.postField];
  let found = [];
  let timer;
  let asked = 0; // an answer to anything but the latest question is dropped
  const load = async () => {
    const question = ++asked;
    const query = new URLSearchParams({ q: input.value.trim() });
    const department = input.form.elements.department;
    if (department && department.value) query.set("department", department.value);
    const response = await fetch(`${input.dataset.staffPicker}?${query}`, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const results = (await response.json()).results;
    if (question !== asked) return;
    found = results;
    list.replaceChildren(...found.map((person) => {
      const option = document.createElement("option");
      option.value = person.name;
      option.label = person.label;
      return option;
    }));
  };
  input.addEventListener("focus", load);
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  });
  input.addEventListener("change", () => {
    const picked = found.filter((person) => person.name === input.value);
    if (post && !post.value && picked.length === 1) post.value = picked[0].post;
  });
});
