import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import SettingsPanel from './SettingsPanel.svelte';
import type { Settings } from '../lib/types';

function settings(): Settings {
  return {
    data_dir: '/home/ed/.local/share/castscope',
    models_dir: '/opt/castscope/models',
    models: [
      { name: 'retinaface', file: 'retinaface_mnet025.onnx', origin: 'built in', path: '', licence: 'MIT', training_data: 'WIDER FACE', ok: true },
      { name: 'arcface', file: 'mobilefacenet.onnx', origin: 'folder', path: '/opt/castscope/models/mobilefacenet.onnx', licence: 'Apache-2.0', training_data: '', ok: false, problem: 'sha256 mismatch' },
    ],
    ort_lib: '/opt/onnxruntime/libonnxruntime.so.1',
    ort_version: '1.30.0',
    provider: 'CPUExecutionProvider',
    require_gpu: false,
    sample_fps: 2,
    detect_preset: 'default',
    stall_after_s: 300,
    cluster_threshold: 0.5,
    min_track_len: 3,
    screentime_preset: 'default',
  };
}

describe('SettingsPanel', () => {
  it('shows model status, runtime and provider, and saves edits', async () => {
    const onsave = vi.fn();
    render(SettingsPanel, { data: settings(), onsave, onclose: vi.fn() });
    expect(screen.getByTestId('model-retinaface').textContent).toContain('sha256 ok');
    expect(screen.getByTestId('model-arcface').textContent).toContain('sha256 mismatch');
    expect(screen.getByTestId('model-retinaface-provenance').textContent).toMatch(/built in\s*· MIT\s*· trained on WIDER FACE/);
    expect(screen.getByTestId('model-arcface-provenance').textContent).toMatch(/from the models folder\s*· Apache-2.0/);
    expect(screen.getByTestId('model-arcface-provenance').textContent).not.toContain('trained on');
    expect(screen.getByTestId('provider').textContent).toBe('CPUExecutionProvider');
    expect(screen.getByText('1.30.0')).toBeTruthy();
    await fireEvent.click(screen.getByRole('checkbox'));
    await fireEvent.input(screen.getByLabelText(/Stall timeout/), { target: { value: '600' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onsave).toHaveBeenCalledOnce();
    const saved = onsave.mock.calls[0][0] as Settings;
    expect(saved.require_gpu).toBe(true);
    expect(saved.stall_after_s).toBe(600);
    expect(saved.data_dir).toBe('/home/ed/.local/share/castscope');
  });

  it('edits the cluster threshold, shortest track and screen-time preset, and says when they apply', async () => {
    const onsave = vi.fn();
    render(SettingsPanel, { data: settings(), onsave, onclose: vi.fn() });
    expect(screen.getByTestId('analysis-note').textContent).toContain('next cluster and screen-time run');
    // The choices and the sampling floor are the backend's (catalog).
    const presets = [...(screen.getByLabelText(/Screen-time preset/) as HTMLSelectElement).options].map((o) => o.value);
    expect(presets).toEqual(['default', 'strict']);
    expect((screen.getByLabelText(/Sampling/) as HTMLInputElement).min).toBe('0.5');
    await fireEvent.input(screen.getByLabelText(/Cluster threshold/), { target: { value: '0.65' } });
    await fireEvent.input(screen.getByLabelText(/Shortest track/), { target: { value: '5' } });
    await fireEvent.change(screen.getByLabelText(/Screen-time preset/), { target: { value: 'strict' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const saved = onsave.mock.calls[0][0] as Settings;
    expect(saved).toMatchObject({ cluster_threshold: 0.65, min_track_len: 5, screentime_preset: 'strict', sample_fps: 2 });
  });

  it('shows an error from the backend', () => {
    render(SettingsPanel, { data: null, error: 'ERR_INTERNAL cannot read settings', onsave: vi.fn(), onclose: vi.fn() });
    expect(screen.getByTestId('settings').textContent).toContain('ERR_INTERNAL cannot read settings');
  });
});
