// Stylesheets imported for their side effect; esbuild emits them as main.css.
declare module '*.css';
