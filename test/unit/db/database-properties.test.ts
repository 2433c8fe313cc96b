import { describe, expect, it } from 'vitest';
import { settingValueSql, splitSettingList } from '../../../src/db/database-properties.js';
import { quoteLiteral } from '../../../src/db/quote.js';

describe('settingValueSql', () => {
  it('quotes a plain value as one literal', () => {
    expect(settingValueSql('work_mem=64MB')).toEqual({ name: 'work_mem', value: "'64MB'" });
    expect(settingValueSql('DateStyle=ISO, MDY')).toEqual({ name: 'DateStyle', value: "'ISO, MDY'" });
  });

  it('splits a list setting into one literal per element', () => {
    expect(settingValueSql('search_path="$user", public')).toEqual({ name: 'search_path', value: "'$user', 'public'" });
  });

  it('keeps an "=" inside the value', () => {
    expect(settingValueSql('application_name=a=b').value).toBe("'a=b'");
  });
});

describe('splitSettingList', () => {
  it('reads quoted names with commas and doubled quotes', () => {
    expect(splitSettingList('"a,b", "say ""hi""", plain')).toEqual(['a,b', 'say "hi"', 'plain']);
  });
});

describe('quoteLiteral', () => {
  it('doubles quotes, and escapes backslashes in an E literal', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('C:\\dir')).toBe("E'C:\\\\dir'");
  });
});
