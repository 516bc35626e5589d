import { createContext, useContext } from 'react';
import type { Me } from './types';

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a session');
  return me;
}

/** Whether the logged-in user holds a right (administrators hold `*`). */
export function useCan(): (right: string) => boolean {
  const me = useMe();
  return (right) => me.rights.includes('*') || me.rights.includes(right);
}
