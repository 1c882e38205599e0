// The console's client of lading serve's API: every request carries the bearer token (kept in this tab's
// sessionStorage, taken from the URL's #token= fragment, which browsers never send), and a run's events are read
// from its Server-Sent Events stream with fetch (EventSource cannot send the token).
import type { ErrorAnswer } from "../generated/api.js";

const TOKEN_KEY = "lading-serve-token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly answer: ErrorAnswer,
  ) {
    super(answer.error);
  }
}

/** The token from the fragment (then removed from the address bar) or this tab's storage. */
export function currentToken(): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]!));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${currentToken() ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = { error: text };
  }
  if (!res.ok) throw new ApiError(res.status, (json ?? { error: res.statusText }) as ErrorAnswer);
  return json as T;
}

/**
 * Follows a run's event stream: `onEvent` for each event (those already emitted first), `onEnd` with the run's
 * summary. Returns the function that stops following.
 */
export function followRun(id: string, onEvent: (e: Record<string, unknown> & { type: string; time: string }) => void, onEnd: (summary: Record<string, unknown>) => void): () => void {
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(`/api/runs/${encodeURIComponent(id)}/events`, { headers: { authorization: `Bearer ${currentToken() ?? ""}` }, signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`events of run ${id}: ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const lines = block.split("\n");
        const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
        const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data) continue;
        if (event === "end") onEnd(JSON.parse(data) as Record<string, unknown>);
        else onEvent(JSON.parse(data) as Record<string, unknown> & { type: string; time: string });
      }
    }
  })().catch((err: unknown) => {
    if ((err as Error).name !== "AbortError") console.error(err);
  });
  return () => abort.abort();
}
