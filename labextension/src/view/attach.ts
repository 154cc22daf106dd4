/**
 * Files attached to the next question: uploaded into a new bucket (progress in % and MB while
 * sending), then read by the server (its `files/<id>/stream` progress), kept as content parts.
 */
import type { ChatClient } from '../chat/client';
import { isBucketPart, isImagePart, newId } from '../chat/conversation';
import { megabytes, progress } from '../chat/labels';
import type { ContentPart } from '../chat/types';
import { h, local, messageOf } from './dom';
import { bucketNames, thumbnail } from './message';

interface IPending {
  label: string;
  part: ContentPart;
  /** A local picture of an image while it is only on its way (blob: URL). */
  preview?: string;
}

export class Attachments {
  readonly node = h('div', 'g4fc-attachments');
  readonly input = h('input', 'g4fc-files');
  private pending: IPending[] = [];
  private uploading = 0;

  constructor(
    private readonly client: ChatClient,
    private readonly hasImagesForBlindModel: () => string,
    private readonly attached: (parts: ContentPart[]) => void
  ) {
    this.input.type = 'file';
    this.input.multiple = true;
    this.input.hidden = true;
    this.input.addEventListener('change', () => {
      const files = Array.from(this.input.files ?? []);
      this.input.value = '';
      if (files.length) {
        void this.upload(files);
      }
    });
  }

  get busy(): boolean {
    return this.uploading > 0;
  }

  /** The parts waiting for the next question. */
  get parts(): ContentPart[] {
    return this.pending.map(p => p.part);
  }

  /** The parts waiting for the next question; they go with it and are forgotten here. */
  take(): ContentPart[] {
    const parts = this.pending.map(p => p.part);
    this.pending = [];
    this.show();
    return parts;
  }

  /** Put parts back (a question being edited keeps its files). */
  restore(parts: ContentPart[]): void {
    const kept = parts.filter(isBucketPart).map(part => ({
      label: part.name ?? bucketNames(part.bucket_id),
      part,
      preview: isImagePart(part) ? part.url : undefined
    }));
    this.pending = [...kept, ...this.pending];
    this.show();
  }

  /** Whether a picture goes with the next question. */
  get images(): boolean {
    return this.pending.some(p => isImagePart(p.part));
  }

  clear(): void {
    this.pending = [];
    this.show();
  }

  /** Redraw the chips (the vision warning follows the picked model). */
  show(extra?: HTMLElement): void {
    const chips = this.pending
      .map(p => {
        if (p.preview === undefined) {
          return h('span', 'g4fc-chip', `file: ${p.label}`);
        }
        const chip = h('span', 'g4fc-chip g4fc-image');
        chip.append(thumbnail(p.preview, p.label), ` ${p.label}`);
        return chip;
      });
    const warning = this.images ? this.hasImagesForBlindModel() : '';
    this.node.replaceChildren(
      ...chips,
      ...(warning ? [h('span', 'g4fc-chip g4fc-warning', warning)] : []),
      ...(extra ? [extra] : [])
    );
  }

  private async upload(files: File[]): Promise<void> {
    const bucket = newId();
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const chip = h('span', 'g4fc-chip g4fc-progress', `Uploading ${files.length} file(s), ${megabytes(total)} MB…`);
    this.uploading += 1;
    this.show(chip);
    try {
      const uploaded = await this.client.upload(bucket, files, sent => {
        chip.textContent = `Uploading… ${progress(sent, total)}`;
      });
      const added: ContentPart[] = [];
      if (uploaded.files.length) {
        chip.textContent = `Reading… ${progress(0, total)}`;
        const size = await this.client.read(bucket, read => (chip.textContent = `Reading… ${progress(read, total)}`));
        local.set(`bucket:${bucket}`, JSON.stringify({ names: uploaded.files, size }));
        const part = { bucket_id: bucket, url: this.client.path(`backend-api/v2/files/${bucket}`) };
        this.pending.push({ label: uploaded.files.join(', '), part });
        added.push(part);
      }
      for (const name of uploaded.media) {
        const file = files.find(f => f.name === name);
        const part = { bucket_id: bucket, name, url: this.client.path(`files/${bucket}/media/${encodeURIComponent(name)}`) };
        this.pending.push({ label: name, part, preview: file ? URL.createObjectURL(file) : part.url });
        added.push(part);
      }
      this.show(added.length ? undefined : h('span', 'g4fc-chip g4fc-error', 'No supported file'));
      if (added.length) {
        this.attached(added);
      }
    } catch (error) {
      this.show(h('span', 'g4fc-chip g4fc-error', `Upload failed: ${messageOf(error)}`));
    } finally {
      this.uploading -= 1;
    }
  }
}
