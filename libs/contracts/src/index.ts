export * from './lib/services';
export * from './lib/http';
export * from './lib/messaging';
export * from './lib/scenarios';
export * from './lib/card.dto';
export * from './lib/messages.dto';
export * from './lib/account.dto';
export * from './lib/cart.dto';
