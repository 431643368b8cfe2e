import { afterEach, describe, expect, it, vi } from 'vitest';
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
    run_on: 'local',
    temporal_address: '',
    temporal_namespace: 'default',
  };
}

type Fn = (...args: unknown[]) => Promise<unknown>;

afterEach(() => {
  delete window.go;
});

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

  it('shows the Temporal address and namespace only when Temporal is chosen, and saves them', async () => {
    const onsave = vi.fn();
    render(SettingsPanel, { data: settings(), onsave, onclose: vi.fn() });
    const local = screen.getByRole('radio', { name: 'This computer' }) as HTMLInputElement;
    expect(local.checked).toBe(true);
    expect(screen.queryByLabelText(/Temporal address/)).toBeNull();
    expect(screen.queryByLabelText(/Namespace/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Test connection' })).toBeNull();
    expect(screen.queryByTestId('run-on-note')).toBeNull();

    await fireEvent.click(screen.getByRole('radio', { name: /Temporal at HOST:PORT/ }));
    expect(screen.getByTestId('run-on-note').textContent).toBe('Workers must mount this data folder as their --artifacts folder.');
    expect((screen.getByLabelText(/Namespace/) as HTMLInputElement).value).toBe('default');
    await fireEvent.input(screen.getByLabelText(/Temporal address/), { target: { value: '10.0.0.5:7233' } });
    await fireEvent.input(screen.getByLabelText(/Namespace/), { target: { value: 'castscope' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onsave.mock.calls[0][0]).toMatchObject({ run_on: 'temporal', temporal_address: '10.0.0.5:7233', temporal_namespace: 'castscope' });

    await fireEvent.click(local);
    expect(screen.queryByLabelText(/Temporal address/)).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    // The address stays for the next time Temporal is chosen.
    expect(onsave.mock.calls[1][0]).toMatchObject({ run_on: 'local', temporal_address: '10.0.0.5:7233' });
  });

  it('tests the connection: Connected, or the typed error with its hint', async () => {
    const check = vi.fn(async (addr: unknown) => {
      if (addr === '127.0.0.1:7233') return null;
      throw { code: 'ERR_REMOTE_UNAVAILABLE', message: 'The Temporal server at 127.0.0.1:7299 does not answer.', hint: 'Check that it runs and that this machine can reach it.' };
    });
    window.go = { main: { App: { CheckTemporal: check as unknown as Fn } } };
    render(SettingsPanel, { data: { ...settings(), run_on: 'temporal', temporal_address: '127.0.0.1:7233' }, onsave: vi.fn(), onclose: vi.fn() });
    const result = screen.getByTestId('temporal-check');
    expect(result.textContent?.trim()).toBe('');

    await fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    await vi.waitFor(() => expect(result.textContent?.trim()).toBe('Connected'));
    expect(check).toHaveBeenCalledWith('127.0.0.1:7233', 'default');

    // Another address: the old answer goes, the new one is the error.
    await fireEvent.input(screen.getByLabelText(/Temporal address/), { target: { value: '127.0.0.1:7299' } });
    expect(result.textContent?.trim()).toBe('');
    await fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    await vi.waitFor(() => expect(result.textContent).toContain('does not answer'));
    expect(result.textContent).toContain('The Temporal server at 127.0.0.1:7299 does not answer. Check that it runs and that this machine can reach it.');
    expect(result.querySelector('.bad')).toBeTruthy();
    expect(result.textContent).not.toContain('Connected');
  });
});
