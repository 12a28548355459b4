// multipart/form-data bodies, as FastAPI's Form() and File() parameters read them (the official
// CosyVoice server's routes take form fields plus the prompt recording as a file upload).
import { randomBytes } from 'node:crypto';

export interface FormFile {
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface MultipartBody {
  readonly contentType: string;
  readonly body: Buffer;
}

export function multipartBody(fields: Readonly<Record<string, string | FormFile>>): MultipartBody {
  const boundary = `cosyfleet-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`, 'utf8'), Buffer.from(value, 'utf8'), Buffer.from('\r\n'));
    } else {
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.contentType}\r\n\r\n`, 'utf8'),
        value.data,
        Buffer.from('\r\n'),
      );
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}
