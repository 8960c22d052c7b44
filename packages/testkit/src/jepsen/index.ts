// Generic helpers for the real-process fault suite (jepsen/): the lead wires
// this barrel into the package index when it wants them exported by name.
export * from './shrink.js';
