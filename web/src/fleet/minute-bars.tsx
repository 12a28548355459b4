// One number per minute as bars in inline SVG (no chart library; nothing fetched). The colour is
// the text colour of the class given (currentColor), so the stylesheet's light and dark schemes
// and their contrast apply. For a screen reader the chart is one image named by its heading and a
// sentence that says what it shows; each bar's <title> gives its minute and value on hover.
import { HTML_LANG, useI18n } from '../i18n/i18n.js';

const BAR = 10;
const GAP = 2;
const HEIGHT = 48;

export interface MinuteBarsProps {
  id: string;
  title: string;
  summary: string;
  /** Each minute's start (ISO 8601) and its value, oldest first. */
  points: readonly { start: string; value: number }[];
  /** A class whose colour the bars take (e.g. `problem`, `help`). */
  tone: string;
}

export function MinuteBars({ id, title, summary, points, tone }: MinuteBarsProps) {
  const { lang } = useI18n();
  const time = new Intl.DateTimeFormat(HTML_LANG[lang], { hour: '2-digit', minute: '2-digit' });
  const peak = Math.max(1, ...points.map((p) => p.value));
  const width = Math.max(1, points.length) * BAR;
  return (
    <figure class="minute-bars" data-testid={id}>
      <figcaption>
        <strong id={`${id}-title`}>{title}</strong>
        <span id={`${id}-summary`} class="help">
          {' '}
          {summary}
        </span>
      </figcaption>
      <svg role="img" aria-labelledby={`${id}-title ${id}-summary`} viewBox={`0 0 ${width} ${HEIGHT}`} width="100%" height={HEIGHT} preserveAspectRatio="none" class={tone}>
        <line x1={0} y1={HEIGHT - 0.5} x2={width} y2={HEIGHT - 0.5} stroke="currentColor" stroke-width={1} opacity={0.4} />
        {points.map((p, i) => {
          // A zero keeps a sliver, so an empty minute reads as measured, not missing.
          const h = p.value === 0 ? 1 : Math.max(2, (p.value / peak) * (HEIGHT - 4));
          return (
            <rect key={p.start} x={i * BAR + GAP / 2} y={HEIGHT - h} width={BAR - GAP} height={h} fill="currentColor" opacity={p.value === 0 ? 0.35 : 1} data-value={p.value}>
              <title>{`${time.format(new Date(p.start))}: ${p.value}`}</title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}
