// The part of hpack.js (no types of its own) that authority.ts uses.
declare module 'hpack.js' {
  interface HeaderStream {
    write(chunk: unknown): boolean;
    read(): unknown;
  }
  interface Decompressor extends HeaderStream {
    execute(): void;
  }
  const hpack: {
    decompressor: { create(options: { table: { size: number } }): Decompressor };
    compressor: { create(options: { table: { size: number } }): HeaderStream };
  };
  export default hpack;
}
