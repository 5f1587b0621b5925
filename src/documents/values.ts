export { readBool, readDuration, readNumber, readString } from "../core/reader.js";
