/** What `jsonClient` answers: the status, the headers and the body (parsed when it is JSON). */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A minimal HTTP client for tests: JSON in, JSON out, never throws on an HTTP status. */
export interface JsonClient {
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse<T>>;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<JsonResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse<T>>;
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse<T>>;
  delete<T = any>(path: string, headers?: Record<string, string>): Promise<JsonResponse<T>>;
}

/** A `JsonClient` for `baseUrl` that sends `defaultHeaders` (e.g. an authorization) every time. */
export function jsonClient(baseUrl: string, defaultHeaders: Record<string, string> = {}): JsonClient {
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...defaultHeaders, ...headers },
      // A string is sent as it is, so tests can send malformed JSON.
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
  };
  return {
    request,
    get: (path, headers) => request('GET', path, undefined, headers),
    post: (path, body, headers) => request('POST', path, body, headers),
    put: (path, body, headers) => request('PUT', path, body, headers),
    delete: (path, headers) => request('DELETE', path, undefined, headers),
  };
}
