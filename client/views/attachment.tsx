/**
 * An attachment of a message: its name (directional controls shown, bidi.tsx) and size, then
 * downloaded, decrypted and verified on demand with progress; a picture is previewed, any file
 * can be saved under its shown name.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { downloadAttachment, isPreviewable, type Phase } from '../attachments/attachments.ts';
import type { AttachmentMeta } from '../data/records.ts';
import { session } from '../state/session.ts';
import { FileName, showBidiControls } from './bidi.tsx';
import { Progress } from './progress.tsx';

export function AttachmentView({ meta }: { meta: AttachmentMeta }) {
  const [url, setUrl] = useState<string | undefined>();
  const [progress, setProgress] = useState<{ phase: Phase; fraction: number } | undefined>();
  const [error, setError] = useState('');
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const open = async () => {
    const s = session();
    if (!s) return;
    setError('');
    setProgress({ phase: 'downloading', fraction: 0 });
    try {
      const blob = await downloadAttachment(s.api, meta, (phase, fraction) => setProgress({ phase, fraction }));
      setUrl(URL.createObjectURL(blob));
    } catch {
      setError('This attachment could not be downloaded or did not verify. It may have expired.');
    } finally {
      setProgress(undefined);
    }
  };
  const name = showBidiControls(meta.name);
  const sizeText = meta.size >= 1024 * 1024 ? `${(meta.size / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(meta.size / 1024)} KB`;
  return (
    <span class="attachment">
      <span>
        📎 <FileName name={meta.name} /> ({sizeText})
      </span>
      {url ? (
        <>
          {isPreviewable(meta.mime) && <img class="preview" src={url} alt={`Picture: ${name}`} />}
          <a class="button" href={url} download={name}>
            Save <FileName name={meta.name} />
          </a>
        </>
      ) : progress ? (
        <Progress label="Downloading and decrypting" fraction={progress.fraction} />
      ) : (
        <button type="button" onClick={() => void open()}>
          Download <FileName name={meta.name} />
        </button>
      )}
      {error && <span class="error">{error}</span>}
    </span>
  );
}
