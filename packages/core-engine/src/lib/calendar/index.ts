export * from './calendar-types.js';
export * from './market-calendar-view.js';
export * from './calendar-errors.js';
export * from './calendar-config-validation.js';
export * from './cme-equity-holidays.js';
export * from './default-trading-day-config.js';
export * from './market-calendar.js';
