// The model host's environment is built from an allowlist: the daemon holds API keys (env or set by
// clients) and none of them may reach the process that runs native inference code.

const ALLOWED = new Set([
  'PATH',
  'HOME',
  'USER',
  'USERNAME',
  'LOGNAME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LANGUAGE',
  'TZ',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_CONFIG_HOME',
  'XDG_RUNTIME_DIR',
  // Windows essentials: without them Node and native DLL loading misbehave
  'SystemRoot',
  'SYSTEMROOT',
  'windir',
  'ComSpec',
  'PATHEXT',
  'APPDATA',
  'LOCALAPPDATA',
  'USERPROFILE',
  'ProgramData',
  'ProgramFiles',
  'ProgramFiles(x86)',
  'HOMEDRIVE',
  'HOMEPATH',
  'NUMBER_OF_PROCESSORS',
  'PROCESSOR_ARCHITECTURE',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_EXTRA_CA_CERTS',
  'NODE_ENV',
  'NODE_NO_WARNINGS',
  'NODE_DEBUG',
  'ELECTRON_RUN_AS_NODE',
  // GPU runtimes and loaders
  'LD_LIBRARY_PATH',
  'DYLD_LIBRARY_PATH',
  'DYLD_FALLBACK_LIBRARY_PATH',
  'VULKAN_SDK',
  'VK_ICD_FILENAMES',
  'VK_DRIVER_FILES',
  'VK_LAYER_PATH',
  'VK_INSTANCE_LAYERS',
  'HIP_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'GPU_DEVICE_ORDINAL',
  'HSA_OVERRIDE_GFX_VERSION',
  // model downloads behind a proxy
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
]);
const ALLOWED_PREFIXES = ['LC_', 'CUDA_', 'NVIDIA_', 'GGML_', 'NODE_LLAMA_CPP_'];
/** Even inside an allowed prefix, names that look like credentials stay out. */
const SECRET_LOOKING = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;

export function buildChildEnv(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (!ALLOWED.has(name) && !ALLOWED_PREFIXES.some((p) => name.startsWith(p))) continue;
    if (SECRET_LOOKING.test(name)) continue;
    env[name] = value;
  }
  // An Electron binary only behaves as Node when told so; without this, fork would start another app.
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return env;
}
