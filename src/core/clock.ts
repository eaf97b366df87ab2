/** Wall-clock milliseconds. Pure code takes the reading as an argument; shells take a Clock. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
