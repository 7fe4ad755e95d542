// Set by build.mjs: the hashed path of hls.js's worker script, relative to the page.
declare const __HLS_WORKER_PATH__: string;

// hls.js's light build (no subtitles, alternate audio, DRM) has the full build's types.
declare module "hls.js/light" {
  import Hls from "hls.js";
  export * from "hls.js";
  export default Hls;
}
