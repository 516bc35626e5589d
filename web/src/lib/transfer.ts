import { ApiError } from './api';

// Long transfers with progress: uploads of import files (XMLHttpRequest is still the only browser API
// that reports upload progress) and downloads of editions (a streamed fetch).

export interface Progress {
  /** Bytes sent or received so far, and the total when known. */
  loaded: number;
  total: number | null;
}

function problemOf(status: number, text: string, statusText: string): ApiError {
  let p: { code?: string; detail?: string; field?: string; details?: Record<string, unknown> } = {};
  try {
    p = JSON.parse(text) as typeof p;
  } catch {
    // not a problem document
  }
  return new ApiError(status, p.code ?? `http.${status}`, p.detail ?? statusText, p.field, p.details);
}

/** Sends a body (a file's text) and reports the upload's progress; resolves with the JSON answer. */
export function upload<T>(
  url: string,
  body: string,
  contentType: string,
  onProgress: (p: Progress) => void,
  onSent?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) =>
      onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : null });
    xhr.upload.onload = () => onSent?.();
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          reject(new ApiError(xhr.status, 'http.invalid_json', 'the answer is not JSON'));
        }
      } else reject(problemOf(xhr.status, xhr.responseText, xhr.statusText));
    };
    xhr.send(body);
  });
}

/** Fetches a generated document, reporting the download's progress once the server starts sending. */
export async function download(
  url: string,
  onProgress: (p: Progress) => void,
): Promise<{ blob: Blob; headers: Headers }> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'network');
  }
  if (!res.ok) throw problemOf(res.status, await res.text(), res.statusText);
  const total = Number(res.headers.get('content-length')) || null;
  const type = res.headers.get('content-type') ?? 'application/octet-stream';
  if (!res.body) {
    const blob = await res.blob();
    onProgress({ loaded: blob.size, total: blob.size });
    return { blob, headers: res.headers };
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress({ loaded, total });
  }
  return { blob: new Blob(chunks, { type }), headers: res.headers };
}

/** Rows of a CSV file, header excluded (quoted line breaks are rare in plant and listing files). */
export function csvRows(text: string): number {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return Math.max(0, lines.length - 1);
}
