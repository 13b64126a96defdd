// probe.js - what node-postgres (the npm package pg) returns in the
// situations of the guide's section 5.3: the error's `code` (a SQLSTATE
// for an error the server sent, a system error name such as ECONNREFUSED,
// or undefined when the connection just ended).
//
//	node probe.js inflight SITUATION HOST	BEGIN; INSERT; SELECT
//						pg_sleep(60): how it ended
//	node probe.js connect SITUATION HOST	connect and SELECT 1 once
//	node probe.js loop SITUATION HOST STOP	connect, SELECT 1, end, again,
//						until the file STOP exists
//
// One JSON line on stdout; "ready" / "ok" / "err CODE" on stderr.
'use strict';
const fs = require('fs');
const { Client } = require('pg');

const DRIVER = 'node';
const ms = () => Number(process.hrtime.bigint() / 1000000n);
const oneLine = (s) => (s == null ? null : String(s).replace(/\s+/g, ' ').trim());

function newClient(host) {
	const c = new Client({
		host, port: 5432, database: 'postgres', user: 'postgres',
		connectionTimeoutMillis: 2000,
		application_name: 'probe-' + DRIVER,
	});
	// A connection that dies between queries is reported here; without
	// a listener node would exit on it.
	c.on('error', () => {});
	return c;
}

function report(situation, failed, e, t0) {
	console.log(JSON.stringify({
		driver: DRIVER, situation, failed,
		code: e ? (e.code === undefined ? null : e.code) : null,
		sqlstate: e && /^[0-9A-Z]{5}$/.test(e.code || '') ? e.code : null,
		severity: e && e.severity ? e.severity : null,
		message: e ? oneLine(e.message) : null,
		elapsed_ms: ms() - t0,
	}));
}

async function inflight(situation, host) {
	const c = newClient(host);
	await c.connect();
	await c.query('BEGIN');
	await c.query('INSERT INTO clients_probe (driver, situation) ' +
	    'VALUES ($1, $2)', [DRIVER, situation]);
	process.stderr.write('ready\n');
	const t0 = ms();
	try {
		await c.query('SELECT pg_sleep(60)');
		report(situation, null, null, t0);
	} catch (e) {
		report(situation, 'statement', e, t0);
	}
	await c.end().catch(() => {});
}

async function connectOnce(situation, host) {
	const t0 = ms();
	const c = newClient(host);
	try {
		await c.connect();
	} catch (e) {
		report(situation, 'connect', e, t0);
		return;
	}
	try {
		await c.query('SELECT 1');
		report(situation, null, null, t0);
	} catch (e) {
		report(situation, 'statement', e, t0);
	}
	await c.end().catch(() => {});
}

async function loop(situation, host, stop) {
	const codes = {}, examples = {};
	let ok = 0, failures = 0, okAfter = 0;
	const t0 = ms();
	while (!fs.existsSync(stop)) {
		const c = newClient(host);
		try {
			await c.connect();
			await c.query('SELECT pg_sleep(0.02)');
			ok++;
			okAfter++;
			process.stderr.write('ok\n');
		} catch (e) {
			const code = e.code === undefined ? 'undefined' : String(e.code);
			failures++;
			okAfter = 0;
			codes[code] = (codes[code] || 0) + 1;
			if (!(code in examples))
				examples[code] = oneLine(e.message);
			process.stderr.write('err ' + code + '\n');
		}
		await c.end().catch(() => {});
	}
	console.log(JSON.stringify({
		driver: DRIVER, situation, ok, failures,
		ok_after_last_failure: okAfter, codes, examples,
		elapsed_ms: ms() - t0,
	}));
}

const [mode, situation, host, stop] = process.argv.slice(2);
let run;
if (mode === 'inflight' && host)
	run = inflight(situation, host);
else if (mode === 'connect' && host)
	run = connectOnce(situation, host);
else if (mode === 'loop' && stop)
	run = loop(situation, host, stop);
else {
	console.error('usage: probe.js inflight|connect SITUATION HOST | ' +
	    'loop SITUATION HOST STOPFILE');
	process.exit(2);
}
run.catch((e) => {
	console.error('probe: ' + (e.stack || e));
	process.exit(1);
});
