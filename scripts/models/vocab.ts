/**
 * A SentencePiece-style ("llama") vocabulary that llama.cpp's SPM tokenizer accepts, laid out
 * like Llama 2's: 0 `<unk>`, 1 `<s>`, 2 `</s>`, 3..258 the byte tokens `<0x00>`..`<0xFF>` (byte
 * fallback: any text tokenizes and round-trips), then synthetic pieces with descending scores.
 * Every multi-character piece has a merge path through pieces already in the vocabulary, so
 * common words become single tokens the way they do with a trained vocabulary.
 */

/** llama.cpp `llama_token_type`. */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export const SPACE = "\u2581"; // ▁, SentencePiece's word-boundary marker

export interface Vocab {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
}

/** TinyLlama-1.1B-Chat-v1.0's own chat template (Zephyr style). */
export const TINYLLAMA_CHAT_TEMPLATE =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n" +
  "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from or one had by " +
  "word but not what all were we when your can said there use an each which she do how their if will up " +
  "other about out many then them these so some her would make like him into time has look two more write " +
  "go see number no way could people my than first water been call who oil its now find long down day did " +
  "get come made may part hello world job queue model token user assistant system answer question please " +
  "thank yes"
).split(" ");

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const SINGLES = `${LETTERS}${LETTERS.toUpperCase()}0123456789.,!?'"-:;()<>|/[]{}_=+*#@&%$`;

export function buildVocab(size: number): Vocab {
  const pieces: string[] = [];
  const seen = new Set<string>();
  const add = (piece: string) => {
    if (pieces.length + 259 >= size || seen.has(piece)) return;
    seen.add(piece);
    pieces.push(piece);
  };
  add(SPACE);
  for (const c of SINGLES) add(c);
  for (const c of LETTERS) add(SPACE + c);
  // Chat-template pieces, then words with every prefix (the SPM merge path to the whole word).
  for (const p of ["<|", "|>", "<|user|>", "<|assistant|>", "<|system|>"]) {
    for (let i = 2; i <= p.length; i++) add(p.slice(0, i));
  }
  for (const w of WORDS) {
    const full = SPACE + w;
    for (let i = 2; i <= full.length; i++) add(full.slice(0, i));
    for (let i = 2; i <= w.length; i++) add(w.slice(0, i));
  }
  for (const a of LETTERS) for (const b of LETTERS) add(a + b);
  for (const a of LETTERS) for (const b of LETTERS) add(SPACE + a + b);
  outer: for (const a of LETTERS)
    for (const b of LETTERS)
      for (const c of LETTERS) {
        if (pieces.length + 259 >= size) break outer;
        add(a + b + c);
        add(SPACE + a + b + c);
      }
  if (pieces.length + 259 < size)
    throw new Error(`vocabulary size ${size} is larger than this generator fills`);

  const tokens = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  tokens.push(...pieces);
  const scores = new Float32Array(size);
  const types = new Int32Array(size);
  types[0] = TokenType.unknown;
  types[1] = TokenType.control;
  types[2] = TokenType.control;
  for (let i = 3; i < 259; i++) types[i] = TokenType.byte;
  for (let i = 259; i < size; i++) {
    types[i] = TokenType.normal;
    scores[i] = -(i - 259);
  }
  return { tokens, scores, types };
}
