// retry.js - the retry logic a node-postgres (pg) application needs across
// a failover or a switch (guide 5.2/5.3): on a connection error, end the
// client, connect again and run the WHOLE transaction again, until a
// deadline; never commit twice.
//
//	node retry.js HOST TAG STOPFILE [DEADLINE_S]
//
// Commits transaction 1, 2, ... (each inserts one row (TAG, n) into
// clients_retry) until the file STOPFILE exists, then prints one JSON line:
// {"driver":"node","transactions":N,"retries":N,"codes":{...}}.
// Exit 1 if a transaction could not commit before its deadline.
//
// Exactly once: each transaction first looks for its own row, so a retry
// after a COMMIT whose answer was lost does not insert it again.
'use strict';
const fs = require('fs');
const { Client } = require('pg');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint() / 1000000n);

// Worth another try: a SQLSTATE of class 08 or 57P01-57P03, a system error
// (ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ...), or no code at all
// ("Connection terminated unexpectedly", a connect timeout).
function retryable(e) {
	const code = e.code;
	return code === undefined || /^(08|57P0)/.test(code) ||
	    /^E[A-Z]+$/.test(code);
}

async function transaction(c, tag, n) {
	await c.query('BEGIN');
	const r = await c.query('SELECT 1 FROM clients_retry ' +
	    'WHERE driver = $1 AND n = $2', [tag, n]);
	if (r.rowCount === 0)
		await c.query('INSERT INTO clients_retry (driver, n) ' +
		    'VALUES ($1, $2)', [tag, n]);
	await c.query('COMMIT');
}

async function main() {
	const [host, tag, stop, dl] = process.argv.slice(2);
	if (!stop) {
		console.error('usage: retry.js HOST TAG STOPFILE [DEADLINE_S]');
		process.exit(2);
	}
	const deadlineS = dl ? Number(dl) : 30;
	const codes = {};
	let c = null, retries = 0, n;
	for (n = 1; !fs.existsSync(stop); n++) {
		const deadline = now() + deadlineS * 1000;
		for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
			try {
				if (c === null) {
					c = new Client({
						host, port: 5432, database: 'postgres',
						user: 'postgres',
						connectionTimeoutMillis: 2000,
						application_name: 'retry-node',
					});
					// A connection lost between queries comes
					// here; the next query then fails.
					c.on('error', () => {});
					await c.connect();
				}
				await transaction(c, tag, n);
				break;
			} catch (e) {
				if (!retryable(e) || now() + pause > deadline) {
					console.error(`retry: transaction ${n} gave up: ` +
					    `${e.code} ${e.message}`);
					process.exit(1);
				}
				const code = String(e.code);
				codes[code] = (codes[code] || 0) + 1;
				retries++;
				// Drop the broken connection; a new one finds the
				// new node.
				c.end().catch(() => {});
				c = null;
				await sleep(pause);
			}
		}
		await sleep(20);
	}
	if (c !== null)
		await c.end().catch(() => {});
	console.log(JSON.stringify({ driver: 'node', transactions: n - 1,
	    retries, codes }));
}

main().catch((e) => {
	console.error('retry: ' + (e.stack || e));
	process.exit(1);
});
