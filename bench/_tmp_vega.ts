import * as vega from 'vega';
const spec: vega.Spec = {
  width: 300, height: 150, padding: 5,
  data: [{ name: 't', values: [{ x: 'a', y: 3 }, { x: 'b', y: 5 }] }],
  scales: [{ name: 'x', type: 'band', domain: { data: 't', field: 'x' }, range: 'width', padding: 0.1 }, { name: 'y', domain: { data: 't', field: 'y' }, range: 'height', nice: true }],
  axes: [{ orient: 'bottom', scale: 'x' }, { orient: 'left', scale: 'y', title: '$' }],
  marks: [{ type: 'rect', from: { data: 't' }, encode: { enter: { x: { scale: 'x', field: 'x' }, width: { scale: 'x', band: 1 }, y: { scale: 'y', field: 'y' }, y2: { scale: 'y', value: 0 }, fill: { value: 'steelblue' } } } }],
};
const t0 = performance.now();
const view = new vega.View(vega.parse(spec), { renderer: 'none' });
const svg = await view.toSVG();
console.log(svg.length, svg.slice(0, 200), performance.now() - t0);
