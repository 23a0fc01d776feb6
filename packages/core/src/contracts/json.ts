/** Any JSON value. Provider task references are opaque JSON so any store can persist them. */
export type JSONValue = null | string | number | boolean | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };
