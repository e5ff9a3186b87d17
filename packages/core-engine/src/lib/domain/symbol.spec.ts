import { describe, expect, it } from 'vitest';
import { symbolFromContractName } from './symbol.js';

describe('symbolFromContractName', () => {
  it('when a name ends in a month code and a one-digit year then the product root is returned', () => {
    expect(symbolFromContractName('MNQZ5')).toBe('MNQ');
    expect(symbolFromContractName('NQU5')).toBe('NQ');
    expect(symbolFromContractName('ESU5')).toBe('ES');
    expect(symbolFromContractName('MESH6')).toBe('MES');
    expect(symbolFromContractName('6EZ5')).toBe('6E');
    expect(symbolFromContractName('GCQ6')).toBe('GC');
  });

  it('when a name is lower case or padded then it is normalised first', () => {
    expect(symbolFromContractName(' mnqz5 ')).toBe('MNQ');
  });

  it('when a name does not end in a month code and a digit then it is returned upper-cased', () => {
    expect(symbolFromContractName('MNQZ25')).toBe('MNQZ25');
    expect(symbolFromContractName('NQ')).toBe('NQ');
    expect(symbolFromContractName('Z5')).toBe('Z5');
    expect(symbolFromContractName('ESA5')).toBe('ESA5');
    expect(symbolFromContractName('es')).toBe('ES');
  });
});
