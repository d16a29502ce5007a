// Evidence photos: shown from the server with the token, opened full size, and made smaller before upload.
import { state } from "./state.js";
import { t } from "./i18n.js";
import { esc, toast } from "./dom.js";
import { ask } from "./dialog.js";

// Evidence photos need the token: fetched once each, shown from a blob URL.
export function loadPhotos() {
  document.querySelectorAll("img[data-photo]").forEach(async (img) => {
    const key = `${img.dataset.community}/${img.dataset.photo}`;
    if (!state.photos[key]) {
      state.photos[key] = fetch(`/api/v1/communities/${encodeURIComponent(img.dataset.community)}/photos/${img.dataset.photo}`,
        { headers: { Authorization: `Bearer ${state.token}` } })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
        .then((blob) => URL.createObjectURL(blob));
    }
    try {
      img.src = await state.photos[key];
    } catch {
      delete state.photos[key];
      img.alt = t("noPhoto");
    }
  });
}

const fileData = (blob) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(String(reader.result).split(",")[1]);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(blob);
});

// A phone photo is often several MB: made smaller (and JPEG) before it goes out over a weak signal.
export async function photoBody(file) {
  const kinds = ["image/jpeg", "image/png", "image/webp"];
  if (kinds.includes(file.type) && file.size <= 1_000_000) return { content_type: file.type, data: await fileData(file) };
  const image = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(image.width, image.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  if (!blob) throw new Error("photo");
  return { content_type: "image/jpeg", data: await fileData(blob) };
}

// The photo a dialog's form holds (its "photo" field), ready to send: undefined when none was chosen, null when
// it cannot be read (said in a toast).
export async function formPhoto(form) {
  const photo = form.get("photo");
  if (!(photo && photo.size)) return undefined;
  try {
    return await photoBody(photo);
  } catch {
    toast(t("badPhoto"));
    return null;
  }
}

// By data-action: a tapped thumbnail opens full size.
export const actions = {
  async photo(el) {
    if (el.src) await ask(`<img class="full" src="${esc(el.src)}" alt="${t("photo")}"><div class="row choices"><button value="cancel">${t("close_")}</button></div>`);
  },
};
