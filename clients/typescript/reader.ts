// What a news frontend does with Akhbar, written against the types generated from the
// committed OpenAPI schema (openapi-typescript + openapi-fetch). It compiles under
// `tsc --strict` with no cast: that is the check; it is not run.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/akhbar";

type TickerPage = components["schemas"]["TickerPage"];
type Problem = components["schemas"]["Problem"];

function explain(problem: Problem): string {
  const fields = (problem.errors ?? []).map((error) => `${error.loc.join(".")}: ${error.message}`);
  return [`${problem.status} ${problem.title}: ${problem.detail}`, ...fields].join("\n");
}

export async function homePage(baseUrl: string): Promise<string[]> {
  const api = createClient<paths>({ baseUrl, headers: { "Accept-Language": "ar" } });
  const lines: string[] = [];

  // The newest articles of a section, then the next page with the cursor.
  const first = await api.GET("/v1/articles", {
    params: { query: { category: "اقتصاد", is_exclusive: true, limit: 5 } },
  });
  if (first.error) throw new Error(explain(first.error));
  for (const item of first.data.data) {
    lines.push(`${item.id} ${item.title} (${item.dir}) ${item.published_at ?? ""}`);
  }
  const cursor = first.data.meta.next_cursor;
  if (cursor !== null) {
    const next = await api.GET("/v1/articles", { params: { query: { cursor, limit: 5 } } });
    if (next.error) throw new Error(explain(next.error));
    lines.push(...next.data.data.map((item) => `${item.slug}: ${item.excerpt ?? ""}`));
  }

  // A trimmed list: only the fields named.
  const lean = await api.GET("/v1/articles", { params: { query: { fields: "id,slug,title" } } });
  if (lean.error) throw new Error(explain(lean.error));
  for (const item of lean.data.data) lines.push(`${item.slug ?? ""} ${item.title ?? ""}`);

  // One article by its Arabic slug.
  const slug = "افتتاح-سوق-الحرير-بعد-الترميم";
  const article = await api.GET("/v1/articles/{ref}", { params: { path: { ref: slug } } });
  if (article.error) throw new Error(explain(article.error));
  const { title, body, category, tags, authors, reading_time_minutes } = article.data;
  lines.push(`${title} — ${category?.name ?? ""} — ${reading_time_minutes} min`);
  lines.push(tags.map((tag) => tag.name).join("، "), authors.map((a) => a.name).join("، "), body);

  // Search, with the highlighted snippet of each hit.
  const found = await api.GET("/v1/search", { params: { query: { q: "مفاوضات جنيف" } } });
  if (found.error) throw new Error(explain(found.error));
  for (const hit of found.data.data) lines.push(`${hit.title}: ${hit.snippet ?? ""}`);

  // The approved comments under it, as threads.
  const comments = await api.GET("/v1/articles/{ref}/comments", {
    params: { path: { ref: slug }, query: { limit: 50 } },
  });
  if (comments.error) throw new Error(explain(comments.error));
  for (const comment of comments.data.data) {
    const reply = comment.parent_id === null ? "" : `↳ ${comment.parent_id} `;
    lines.push(`${reply}${comment.author_name}: ${comment.body} (${comment.created_at})`);
  }

  // The breaking-news bar.
  const ticker = await api.GET("/v1/ticker");
  if (ticker.error) throw new Error(explain(ticker.error));
  lines.push(...tickerLines(ticker.data));

  // A reader's comment.
  const posted = await api.POST("/v1/articles/{ref}/comments", {
    params: { path: { ref: slug } },
    body: { author_name: "قارئ", author_email: "reader@example.com", body: "شكرًا على التغطية" },
  });
  if (posted.error) throw new Error(explain(posted.error));
  lines.push(`comment ${posted.data.id}: ${posted.data.status}`);
  return lines;
}

function tickerLines(page: TickerPage): string[] {
  return page.data.map((headline) =>
    headline.label === null ? headline.text : `${headline.label} | ${headline.text}`,
  );
}

// The live stream's events carry the same page in `data` (GET /v1/ticker/stream).
export function followTicker(baseUrl: string, show: (lines: string[]) => void): EventSource {
  const stream = new EventSource(`${baseUrl}/v1/ticker/stream`);
  stream.addEventListener("ticker", (event: MessageEvent<string>) => {
    const page: TickerPage = JSON.parse(event.data);
    show(tickerLines(page));
  });
  return stream;
}
