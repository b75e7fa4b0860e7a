import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  color: string;
}

/** A uPlot line chart over time; `data` is [times (s), ...one array per series]. */
export function LiveChart(props: {
  title: string;
  unit: string;
  series: Series[];
  data: (number | null)[][];
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    plot.current = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        axes: [{}, { label: props.unit, size: 60 }],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            spanGaps: true,
          })),
        ],
      },
      props.data as uPlot.AlignedData,
      el,
    );
    const onResize = () =>
      plot.current?.setSize({ width: Math.max(300, el.clientWidth), height: 220 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.current?.destroy();
    };
    // The series are fixed for a chart's life; data updates go through setData below.
  }, []);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  return (
    <figure class="chart card">
      <figcaption>{props.title}</figcaption>
      <div
        ref={host}
        role="img"
        aria-label={`${props.title} chart; figures are in the tiles above`}
      />
    </figure>
  );
}
