// What bench asks the server to say: a plain passage per language (everyday sentences that
// espeak and CosyVoice3 both read without warnings), cut to the requested length, and the
// length/language draws of a planner workload, so a measured run sends what the plan assumes.
import { Rng } from '../planner/rng.js';
import { charsQuantiles } from '../planner/queueing.js';
import type { Workload } from '../planner/workload.js';
import type { LanguageCode } from '../text/language.js';

export const SAMPLE_PASSAGES: Readonly<Record<LanguageCode, string>> = {
  en: 'The morning train to the coast leaves at half past seven. A gentle rain fell on the quiet town while the bakery opened its doors. Travellers bought warm bread, checked the timetable and talked about the weather. In the afternoon the sun came out, and children played by the river until dinner.',
  cmn: '今天天气很好，我们一起去公园散步吧。图书馆每天早上九点开门，晚上八点关门。这家餐厅的饺子非常好吃，价格也很便宜。请在下一站下车，然后向左走大约五分钟。周末我们打算和家人一起去海边。',
  yue: '我哋今日去咗海邊行下，啲風好舒服。你食咗飯未呀？呢間茶樓嘅點心好好食，不過要排隊。聽日會落雨，記得帶遮出門。佢哋話下個禮拜會嚟探我哋。',
  // Kana only: espeak reads no kanji in Japanese (it would skip them with a warning).
  ja: 'きょうはとてもいいてんきですね。えきのちかくにあたらしいパンやができました。まいあさ、やきたてのパンをかうひとでこんでいます。しゅうまつはかぞくといっしょにこうえんへいくよていです。ごごにはあめがふるかもしれません。',
  ko: '오늘은 날씨가 정말 좋습니다. 역 근처에 새로운 빵집이 문을 열었습니다. 아침마다 갓 구운 빵을 사려는 사람들로 붐빕니다. 주말에는 가족과 함께 공원에 갈 예정입니다. 오후에는 비가 올지도 모릅니다.',
  de: 'Heute ist das Wetter wirklich schön. In der Nähe des Bahnhofs hat eine neue Bäckerei eröffnet. Jeden Morgen stehen die Leute Schlange für frisches Brot. Am Wochenende fahren wir mit der Familie in den Park, und am Abend kochen wir zusammen.',
  es: 'Hoy hace un tiempo realmente bueno. Una nueva panadería ha abierto cerca de la estación. Cada mañana la gente hace cola para comprar pan recién hecho. Este fin de semana iremos al parque con la familia, y por la noche cenaremos juntos.',
  fr: "Aujourd'hui, il fait vraiment beau. Une nouvelle boulangerie a ouvert près de la gare. Chaque matin, les gens font la queue pour acheter du pain frais. Ce week-end, nous irons au parc en famille, et le soir nous dînerons ensemble.",
  it: 'Oggi il tempo è davvero bello. Vicino alla stazione ha aperto un nuovo panificio. Ogni mattina la gente fa la fila per comprare il pane fresco. Questo fine settimana andremo al parco con la famiglia, e la sera ceneremo insieme.',
  ru: 'Сегодня действительно хорошая погода. Недалеко от вокзала открылась новая пекарня. Каждое утро люди стоят в очереди за свежим хлебом. В эти выходные мы поедем в парк всей семьёй, а вечером вместе поужинаем.',
};

/** Languages written without spaces between words: cut anywhere between characters. */
const UNSPACED: ReadonlySet<LanguageCode> = new Set(['cmn', 'yue', 'ja']);

/**
 * The language's passage (repeated as needed) cut to at most `chars` code points: at the last
 * word boundary for spaced scripts, between characters for Chinese and Japanese. Never empty:
 * below one word's length the first word is cut.
 */
export function sampleText(language: LanguageCode, chars: number): string {
  const want = Math.max(1, Math.floor(chars));
  const passage = SAMPLE_PASSAGES[language];
  const sep = UNSPACED.has(language) ? '' : ' ';
  let long = passage;
  while ([...long].length < want + 1) long += sep + passage;
  const points = [...long];
  if (points.length <= want) return long.trim();
  const cut = points.slice(0, want).join('');
  if (sep === '') return cut.trim();
  // A cut that lands exactly before a space ends on a whole word.
  if (points[want] === ' ') return cut.trim();
  const lastSpace = cut.lastIndexOf(' ');
  return (lastSpace > 0 ? cut.slice(0, lastSpace) : cut).trim();
}

/** One request's text: what was sent, its language, its length in code points. */
export interface TextItem {
  text: string;
  language: LanguageCode;
  chars: number;
}

/** Where a run's texts come from; `next()` is called once per request. */
export interface TextSource {
  next(): TextItem;
  /** How the run describes its texts (report, profile flags). */
  describe: { source: 'fixed'; chars: number; language: LanguageCode } | { source: 'workload'; name: string; meanChars: number; languages: Record<string, number> };
}

function cached(): (language: LanguageCode, chars: number) => TextItem {
  const cache = new Map<string, TextItem>();
  return (language, chars) => {
    const key = `${language}:${chars}`;
    let item = cache.get(key);
    if (!item) {
      const text = sampleText(language, chars);
      item = { text, language, chars: [...text].length };
      cache.set(key, item);
    }
    return item;
  };
}

/** Every request the same: `chars` characters of `language`. */
export function fixedTexts(chars: number, language: LanguageCode): TextSource {
  const item = cached()(language, chars);
  return { next: () => item, describe: { source: 'fixed', chars, language } };
}

/** Table points for the workload's length distribution (as the planner's queueing model uses). */
const LENGTH_POINTS = 256;

/**
 * Lengths drawn from the workload's length distribution (the planner's 256-point quantile
 * table) and languages by their shares, from a seeded generator: the same seed sends the same
 * sequence of texts.
 */
export function workloadTexts(w: Pick<Workload, 'name' | 'meanChars' | 'lengthDistribution' | 'language'>, seed: number): TextSource {
  const lengths = charsQuantiles(w, LENGTH_POINTS).map((c) => Math.max(1, Math.round(c)));
  const languages = w.language.filter((l) => l.share > 0);
  const total = languages.reduce((s, l) => s + l.share, 0);
  const rng = new Rng(seed, 1);
  const make = cached();
  return {
    next() {
      const chars = lengths[Math.min(lengths.length - 1, Math.floor(rng.next() * lengths.length))] as number;
      let u = rng.next() * total;
      let language = (languages[languages.length - 1] as { code: LanguageCode }).code;
      for (const l of languages) {
        if (u < l.share) {
          language = l.code;
          break;
        }
        u -= l.share;
      }
      return make(language, chars);
    },
    describe: { source: 'workload', name: w.name, meanChars: w.meanChars, languages: Object.fromEntries(languages.map((l) => [l.code, l.share])) },
  };
}
