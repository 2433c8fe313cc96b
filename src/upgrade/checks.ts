/** One item of the pre-upgrade checklist; the same shape as a doctor check's result. */
export interface ChecklistItem {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  detail: string;
  fix?: string;
}

export const failed = (items: ChecklistItem[]) => items.filter((item) => item.status === 'fail');
