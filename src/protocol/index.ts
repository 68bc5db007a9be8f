export * from './errors.js';
export * from './methods.js';
export * from './core.js';
