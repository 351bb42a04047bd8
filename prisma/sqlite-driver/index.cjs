"use strict";
// better-sqlite3 12 wraps its objects in Node's raw ObjectWrap, whose destructor (from Node 24 on)
// removes an environment cleanup hook: a statement collected while the process or a worker
// thread is shutting down then aborts it ("Assertion failed: (env) != nullptr"). Version 13 is
// built on Node-API and is free of that, but needs Node 22 or later (on Node 20 it crashes). So
// the project depends on this package, named better-sqlite3, and it hands out the build that is
// safe on the Node that is running; Prisma's adapter and our own scripts import it as usual.
const major = Number(process.versions.node.split(".")[0]);
module.exports = require(major >= 22 ? "better-sqlite3-node-api" : "better-sqlite3-classic");
