// warc_check.mjs — read WARC files with warcio.js (a third-party reader) and
// check that every record parses and every digest matches.
//
// usage: node warc_check.mjs --expect-responses N FILE...
// Exits 0 when all is well, 1 with a message on stderr otherwise.  Prints one
// summary line per file on stdout.
import { WARCParser } from "warcio";
import fs from "node:fs";
import crypto from "node:crypto";

function base32(buf) {
	const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	let bits = 0, value = 0, out = "";
	for (const b of buf) {
		value = (value << 8) | b;
		bits += 8;
		while (bits >= 5) {
			out += abc[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out += abc[(value << (5 - bits)) & 31];
	return out;
}

const sha1 = (buf) => "sha1:" + base32(crypto.createHash("sha1").update(buf).digest());

function fail(msg) {
	console.error("warc_check: " + msg);
	process.exit(1);
}

// Pass 1, HTTP not parsed: the block as stored -> WARC-Block-Digest.
async function blocks(file) {
	const out = [];
	const parser = new WARCParser(fs.createReadStream(file), { parseHttp: false });
	for await (const rec of parser) {
		const block = await rec.readFully(false);
		out.push({ type: rec.warcType, id: rec.warcHeader("WARC-Record-ID"),
		           blockDigest: rec.warcBlockDigest, got: sha1(block),
		           len: block.length, cl: Number(rec.warcHeader("Content-Length")) });
	}
	return out;
}

// Pass 2, HTTP parsed: the payload -> WARC-Payload-Digest; decoded content.
async function payloads(file) {
	const out = [];
	const parser = new WARCParser(fs.createReadStream(file));
	for await (const rec of parser) {
		const r = { type: rec.warcType, uri: rec.warcTargetURI,
		            payloadDigest: rec.warcPayloadDigest, concurrent: rec.warcHeader("WARC-Concurrent-To") };
		if (rec.warcType === "response" || rec.warcType === "request") {
			if (!rec.httpHeaders)
				fail(`${file}: ${rec.warcType} ${r.uri}: no HTTP head parsed`);
			r.status = rec.httpHeaders.statusCode;
			r.httpHeaders = rec.httpHeaders;
			const payload = await rec.readFully(false);
			r.got = sha1(payload);
			r.payloadLen = payload.length;
		}
		out.push(r);
	}
	return out;
}

// Pass 3: warcio's decoding (de-chunking, Content-Encoding) of responses.
async function decoded(file) {
	const out = {};
	const parser = new WARCParser(fs.createReadStream(file));
	for await (const rec of parser)
		if (rec.warcType === "response")
			out[rec.warcTargetURI] = Buffer.from(await rec.readFully(true));
	return out;
}

const args = process.argv.slice(2);
let expectResponses = -1;
if (args[0] === "--expect-responses") {
	expectResponses = Number(args[1]);
	args.splice(0, 2);
}
let responses = 0;
for (const file of args) {
	const b = await blocks(file);
	const p = await payloads(file);
	const d = await decoded(file);
	if (b.length === 0 || b.length !== p.length)
		fail(`${file}: ${b.length} vs ${p.length} records`);
	if (b[0].type !== "warcinfo")
		fail(`${file}: first record is ${b[0].type}, not warcinfo`);
	const ids = new Set();
	for (let i = 0; i < b.length; i++) {
		if (b[i].len !== b[i].cl)
			fail(`${file} #${i}: read ${b[i].len} bytes, Content-Length ${b[i].cl}`);
		if (ids.has(b[i].id))
			fail(`${file} #${i}: duplicate record ID ${b[i].id}`);
		ids.add(b[i].id);
		if (b[i].type === "warcinfo")
			continue;
		if (b[i].blockDigest !== b[i].got)
			fail(`${file} #${i} ${b[i].type}: block digest ${b[i].blockDigest} != ${b[i].got}`);
		if (p[i].payloadDigest !== p[i].got)
			fail(`${file} #${i} ${p[i].type}: payload digest ${p[i].payloadDigest} != ${p[i].got}`);
		if (b[i].type === "request") {
			if (i + 1 >= b.length || p[i].concurrent !== b[i + 1].id)
				fail(`${file} #${i}: request not concurrent to the next response`);
		}
		if (b[i].type === "response")
			responses++;
	}
	// content as warcio decodes it
	const want = {
		"http://127.0.0.1:8080/page": "<p>hello warcio</p>\n",
		"http://127.0.0.1:8080/gz": "hello gzip world",
		"http://127.0.0.1:8080/post": "ok",
	};
	for (const [uri, text] of Object.entries(want))
		if (uri in d && d[uri].toString("latin1") !== text)
			fail(`${file}: ${uri} decodes to ${JSON.stringify(d[uri].toString("latin1"))}`);
	// live fetches from tests/lib/testserver (any port but the samples' 8080)
	const TEXT = "The quick brown fox jumps over the lazy dog.\nPack my box with five dozen liquor jugs.\n";
	for (const [uri, body] of Object.entries(d)) {
		const m = uri.match(/^http:\/\/127\.0\.0\.1:(\d+)\/(chunked|gzip|deflate)$/);
		if (m && m[1] !== "8080" && body.toString("latin1") !== TEXT)
			fail(`${file}: ${uri} decodes to ${JSON.stringify(body.toString("latin1"))}`);
	}
	const chunked = "http://127.0.0.1:8080/chunked";
	if (chunked in d) {
		const bin = d[chunked];
		if (bin.length !== 300)
			fail(`${file}: chunked-origin body is ${bin.length} bytes, not 300`);
		for (let k = 0; k < 300; k++) {
			const e = (k >= 20 && k < 27) ? Buffer.from("\r\n0\r\n\r\n")[k - 20] : (k * 13 + 1) & 255;
			if (bin[k] !== e)
				fail(`${file}: chunked-origin body differs at ${k}`);
		}
	}
	for (const r of p)
		if (r.type === "response" && r.uri === "http://127.0.0.1:8080/post" && r.status !== 201)
			fail(`${file}: /post status ${r.status}`);
	console.log(`${file}: ${b.length} records ok`);
}
if (expectResponses >= 0 && responses !== expectResponses)
	fail(`${responses} responses, expected ${expectResponses}`);
