export { readBool, readCount, readDuration, readNumber, readString } from "../core/reader.js";
