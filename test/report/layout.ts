/**
 * What a reader of report.html needs of its tables, measured in the real browser: no cell reaches
 * past the page, and the columns of keytrail's own short values (times, levels, counts, keys) are
 * wide enough for each of their words on one line, whatever the other columns hold.
 */
import type { Page } from 'playwright-core';

export interface Layout {
  /** Cells whose right edge is past the body's, as `table#: text...`. */
  wider: string[];
  /** Words of a time, level, count or key column that do not fit their cell on one line. */
  squeezed: string[];
  /** How far the document scrolls sideways past the viewport. */
  overflow: number;
}

export function tableLayout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const edge = document.body.getBoundingClientRect().right + 1;
    const tables = Array.from(document.querySelectorAll('table'));
    const wider = tables.flatMap((t, n) =>
      Array.from(t.querySelectorAll('td, th'))
        .filter((c) => c.getBoundingClientRect().right > edge)
        .map((c) => `table ${n}: ${(c.textContent ?? '').slice(0, 40)}`),
    );
    const squeezed: string[] = [];
    // Words measured with the cells' own font on a canvas: no change to the page, so no layout per word.
    const ctx = document.createElement('canvas').getContext('2d')!;
    for (const th of Array.from(document.querySelectorAll('th.c-time, th.c-level, th.c-num, th.c-key'))) {
      const column = Array.from(th.parentElement!.children).indexOf(th);
      for (const row of Array.from(th.closest('table')!.rows).slice(1)) {
        const td = row.cells[column]!;
        const style = getComputedStyle(td);
        ctx.font = style.font;
        const room = td.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
        for (const word of (td.textContent ?? '').split(' ')) if (ctx.measureText(word).width > room + 0.5) squeezed.push(`${th.textContent}: ${word}`);
      }
    }
    return { wider, squeezed, overflow: document.documentElement.scrollWidth - window.innerWidth };
  });
}
