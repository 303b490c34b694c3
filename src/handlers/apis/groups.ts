// placeholder until the group handlers land
import type { ApiHandler } from '../types';
export const GROUP_HANDLERS: ApiHandler[] = [];
