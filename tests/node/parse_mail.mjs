// Reads a JSON array of base64 RFC 5322 messages on stdin; writes, for each, every mailbox of
// its address headers as postal-mime parsed them (an independent parser of RFC 5322 address
// lists and RFC 2047 encoded-words), and its subject, as a JSON array on stdout.
import PostalMime, { addressParser } from "postal-mime";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const parsed = [];
for (const raw of JSON.parse(input)) {
  const email = await PostalMime.parse(Buffer.from(raw, "base64"));
  const mailboxes = (key) =>
    email.headers
      .filter((header) => header.key === key)
      .flatMap((header) => addressParser(header.value));
  parsed.push({
    from: mailboxes("from"),
    to: mailboxes("to"),
    cc: mailboxes("cc"),
    "reply-to": mailboxes("reply-to"),
    subject: email.subject ?? null,
  });
}
process.stdout.write(JSON.stringify(parsed));
