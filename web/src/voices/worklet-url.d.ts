// Vite's `?worker&url` import: the URL of the file built as a worker bundle of its own (the
// studio's tsconfig loads no Vite client types).
declare module '*?worker&url' {
  const url: string;
  export default url;
}
