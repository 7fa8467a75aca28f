export * from "./subjects.js";
export * from "./errors.js";
export * from "./types.js";
export * from "./validate.js";
export * from "./json.js";
export * from "./control.js";
export * from "./messages.js";
export * from "./batch.js";
