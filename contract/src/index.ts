export * from './ack';
export * from './errors';
export * from './events';
export * from './models';
export * from './schemas';
