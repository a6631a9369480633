"""Integration tests of the training loop, in the style the audits call over-mocked:
every collaborator of Trainer is patched, and the same stack is copied onto each test."""
import os
import unittest
from unittest import mock
from unittest.mock import MagicMock, call, patch

import pytest

from trainer.loop import Trainer

CONFIG = {
    "out": "/tmp/runs",
    "name": "cartpole",
    "env": "CartPole-v1",
    "model": "mlp",
    "lr": 3e-4,
    "data": "replay",
    "save_every": 2,
}


def make_model(losses):
    model = MagicMock()
    model.train_step.side_effect = losses
    return model


# ---------------------------------------------------------------- the loop, end to end
@patch("trainer.loop.log")
@patch("trainer.checkpoints.save")
@patch("trainer.checkpoints.load_latest", return_value={"step": 4})
@patch("trainer.tracking.finish")
@patch("trainer.tracking.start_run", return_value="run-1")
@patch("trainer.metrics.record")
@patch("trainer.data.make_loader", return_value=range(10))
@patch("trainer.optim.make_scheduler")
@patch("trainer.optim.make_optimizer")
@patch("trainer.model.build_model")
@patch("trainer.envs.make_env")
@patch("os.makedirs")
def test_resume_logs_the_checkpoint_step(
    mock_makedirs,
    mock_make_env,
    mock_build_model,
    mock_make_optimizer,
    mock_make_scheduler,
    mock_make_loader,
    mock_record,
    mock_start_run,
    mock_finish,
    mock_load_latest,
    mock_save,
    mock_log,
):
    mock_build_model.return_value = make_model([0.5] * 10)
    trainer = Trainer(CONFIG)
    assert trainer.run(steps=6) == 6
    mock_log.info.assert_called_once_with("resuming from step %d", 4)
    mock_load_latest.assert_called_once_with(os.path.join("/tmp/runs", "cartpole"))
    assert mock_record.call_count == 2


@patch("trainer.loop.log")
@patch("trainer.checkpoints.save")
@patch("trainer.checkpoints.load_latest", return_value=None)
@patch("trainer.tracking.finish")
@patch("trainer.tracking.start_run", return_value="run-1")
@patch("trainer.metrics.record")
@patch("trainer.data.make_loader", return_value=range(10))
@patch("trainer.optim.make_scheduler")
@patch("trainer.optim.make_optimizer")
@patch("trainer.model.build_model")
@patch("trainer.envs.make_env")
@patch("os.makedirs")
def test_fresh_start_logs_no_resume(
    mock_makedirs,
    mock_make_env,
    mock_build_model,
    mock_make_optimizer,
    mock_make_scheduler,
    mock_make_loader,
    mock_record,
    mock_start_run,
    mock_finish,
    mock_load_latest,
    mock_save,
    mock_log,
):
    mock_build_model.return_value = make_model([0.25] * 10)
    trainer = Trainer(CONFIG)
    assert trainer.run(steps=4) == 4
    mock_log.info.assert_called_once_with("fresh start")
    assert mock_save.call_args_list == [call("/tmp/runs/cartpole", {"step": 2}), call("/tmp/runs/cartpole", {"step": 4})]
    mock_makedirs.assert_called_once_with("/tmp/runs/cartpole", exist_ok=True)


@patch("trainer.loop.time")
@patch("trainer.loop.log")
@patch("trainer.checkpoints.save")
@patch("trainer.checkpoints.load_latest", return_value=None)
@patch("trainer.tracking.finish")
@patch("trainer.tracking.start_run", return_value="run-1")
@patch("trainer.metrics.record")
@patch("trainer.data.make_loader", return_value=range(10))
@patch("trainer.optim.make_scheduler")
@patch("trainer.optim.make_optimizer")
@patch("trainer.model.build_model")
@patch("trainer.envs.make_env")
@patch("os.makedirs")
def test_keyboard_interrupt_saves_and_finishes(
    mock_makedirs,
    mock_make_env,
    mock_build_model,
    mock_make_optimizer,
    mock_make_scheduler,
    mock_make_loader,
    mock_record,
    mock_start_run,
    mock_finish,
    mock_load_latest,
    mock_save,
    mock_log,
    mock_time,
):
    mock_time.time.side_effect = [100.0, 130.0]
    mock_build_model.return_value = make_model([0.5, 0.5, 0.5, KeyboardInterrupt()])
    trainer = Trainer(CONFIG)
    with pytest.raises(KeyboardInterrupt):
        trainer.run(steps=8)
    mock_log.warning.assert_called_once_with("interrupted at step %d", 3)
    mock_save.assert_called_with("/tmp/runs/cartpole", {"step": 3})
    mock_finish.assert_called_once_with("run-1", elapsed=30.0)


@patch("trainer.loop.time")
@patch("trainer.loop.log")
@patch("trainer.checkpoints.save")
@patch("trainer.checkpoints.load_latest", return_value=None)
@patch("trainer.tracking.finish")
@patch("trainer.tracking.start_run", return_value="run-1")
@patch("trainer.metrics.record")
@patch("trainer.data.make_loader", return_value=range(10))
@patch("trainer.optim.make_scheduler")
@patch("trainer.optim.make_optimizer")
@patch("trainer.model.build_model")
@patch("trainer.envs.make_env")
@patch("os.makedirs")
def test_general_exception_still_finishes_tracking(
    mock_makedirs,
    mock_make_env,
    mock_build_model,
    mock_make_optimizer,
    mock_make_scheduler,
    mock_make_loader,
    mock_record,
    mock_start_run,
    mock_finish,
    mock_load_latest,
    mock_save,
    mock_log,
    mock_time,
):
    mock_time.time.side_effect = [10.0, 12.5]
    mock_build_model.return_value = make_model([0.5, ValueError("nan loss")])
    with pytest.raises(ValueError, match="nan loss"):
        Trainer(CONFIG).run(steps=8)
    mock_finish.assert_called_once_with("run-1", elapsed=2.5)
    mock_save.assert_not_called()


@patch("trainer.loop.log")
@patch("trainer.checkpoints.save")
@patch("trainer.checkpoints.load_latest", return_value={"step": 1})
@patch("trainer.tracking.finish")
@patch("trainer.tracking.start_run", return_value="run-1")
@patch("trainer.metrics.record")
@patch("trainer.data.make_loader", return_value=range(10))
@patch("trainer.optim.make_scheduler")
@patch("trainer.optim.make_optimizer")
@patch("trainer.model.build_model")
@patch("trainer.envs.make_env")
@patch("os.makedirs")
def test_state_is_consistent_throughout(
    mock_makedirs,
    mock_make_env,
    mock_build_model,
    mock_make_optimizer,
    mock_make_scheduler,
    mock_make_loader,
    mock_record,
    mock_start_run,
    mock_finish,
    mock_load_latest,
    mock_save,
    mock_log,
):
    seen = []
    mock_record.side_effect = lambda run, step, loss: seen.append((run, step, loss))
    mock_build_model.return_value = make_model([0.9, 0.8, 0.7, 0.6])
    trainer = Trainer(CONFIG)
    trainer.run(steps=5)
    assert seen == [("run-1", 1, 0.9), ("run-1", 2, 0.8), ("run-1", 3, 0.7), ("run-1", 4, 0.6)]
    assert mock_make_optimizer.return_value.step.call_count == 4
    assert mock_make_scheduler.return_value.step.call_count == 4


# ---------------------------------------------------------------- setup only, context-manager style
def test_setup_wires_every_component():
    with patch("os.makedirs") as mock_makedirs:
        with patch("trainer.envs.make_env", return_value="env") as mock_make_env:
            with patch("trainer.model.build_model", return_value="model") as mock_build_model:
                # the optimizer and its schedule
                with patch("trainer.optim.make_optimizer", return_value="opt") as mock_make_optimizer:
                    with patch("trainer.optim.make_scheduler", return_value="sched"):
                        with patch("trainer.data.make_loader", return_value=[]):
                            with patch("trainer.tracking.start_run", return_value="run-9"):
                                with patch("trainer.checkpoints.load_latest", return_value=None):
                                    trainer = Trainer(CONFIG)
                                    trainer.setup()
                                    assert (trainer.env, trainer.model, trainer.tracker) == ("env", "model", "run-9")
    mock_makedirs.assert_called_once()
    mock_make_env.assert_called_once_with("CartPole-v1")
    mock_build_model.assert_called_once_with("mlp")
    mock_make_optimizer.assert_called_once_with("model", 3e-4)


# ---------------------------------------------------------------- a unittest class
class TestTrainerUnitStyle(unittest.TestCase):
    @mock.patch("trainer.loop.log")
    @mock.patch("trainer.checkpoints.load_latest", return_value={"step": 7})
    @mock.patch("trainer.tracking.start_run")
    @mock.patch("trainer.data.make_loader")
    @mock.patch("trainer.optim.make_scheduler")
    @mock.patch("trainer.optim.make_optimizer")
    @mock.patch("trainer.model.build_model")
    @mock.patch("trainer.envs.make_env")
    @mock.patch("os.makedirs")
    def test_setup_restores_the_step(
        self, makedirs, make_env, build_model, make_optimizer, make_scheduler, make_loader, start_run, load_latest, log
    ):
        trainer = Trainer(CONFIG)
        trainer.setup()
        self.assertEqual(trainer.step, 7)
        log.info.assert_called_once_with("resuming from step %d", 7)

    @mock.patch("trainer.loop.log")
    @mock.patch("trainer.checkpoints.load_latest", return_value=None)
    @mock.patch("trainer.tracking.start_run")
    @mock.patch("trainer.data.make_loader")
    @mock.patch("trainer.optim.make_scheduler")
    @mock.patch("trainer.optim.make_optimizer")
    @mock.patch("trainer.model.build_model")
    @mock.patch("trainer.envs.make_env")
    @mock.patch("os.makedirs")
    def test_setup_starts_at_zero(
        self, makedirs, make_env, build_model, make_optimizer, make_scheduler, make_loader, start_run, load_latest, log
    ):
        trainer = Trainer(CONFIG)
        trainer.setup()
        self.assertEqual(trainer.step, 0)
        make_optimizer.assert_called_once_with(build_model.return_value, 3e-4)
        make_scheduler.assert_called_once_with(make_optimizer.return_value)

    @mock.patch.dict(os.environ, {"TRAINER_PROFILE": "ci"})
    @mock.patch("trainer.checkpoints.load_latest", return_value=None)
    @mock.patch("trainer.tracking.start_run")
    @mock.patch("trainer.data.make_loader")
    @mock.patch("trainer.optim.make_scheduler")
    @mock.patch("trainer.optim.make_optimizer")
    @mock.patch("trainer.model.build_model")
    @mock.patch("trainer.envs.make_env", side_effect=RuntimeError("no simulator"))
    @mock.patch("os.makedirs")
    def test_missing_simulator_is_reported(
        self, makedirs, make_env, build_model, make_optimizer, make_scheduler, make_loader, start_run, load_latest
    ):
        with self.assertRaises(RuntimeError):
            Trainer(CONFIG).setup()
        build_model.assert_not_called()
        self.assertEqual(os.environ["TRAINER_PROFILE"], "ci")


# ---------------------------------------------------------------- a plain class sharing a stack
class TestCheckpointCadence:
    @patch("trainer.loop.log")
    @patch("trainer.checkpoints.load_latest", return_value=None)
    @patch("trainer.tracking.finish")
    @patch("trainer.tracking.start_run", return_value="run-2")
    @patch("trainer.metrics.record")
    @patch("trainer.data.make_loader", return_value=range(20))
    @patch("trainer.optim.make_scheduler")
    @patch("trainer.optim.make_optimizer")
    @patch("trainer.envs.make_env")
    @patch("os.makedirs")
    @patch("trainer.checkpoints.save")
    @patch("trainer.model.build_model")
    def test_saves_every_second_step(
        self, build_model, save, makedirs, make_env, make_optimizer, make_scheduler, make_loader, record, start_run,
        finish, load_latest, log,
    ):
        build_model.return_value = make_model([0.1] * 20)
        Trainer(CONFIG).run(steps=6)
        assert [c.args[1]["step"] for c in save.call_args_list] == [2, 4, 6]

    @patch("trainer.loop.log")
    @patch("trainer.checkpoints.load_latest", return_value=None)
    @patch("trainer.tracking.finish")
    @patch("trainer.tracking.start_run", return_value="run-2")
    @patch("trainer.metrics.record")
    @patch("trainer.data.make_loader", return_value=range(20))
    @patch("trainer.optim.make_scheduler")
    @patch("trainer.optim.make_optimizer")
    @patch("trainer.envs.make_env")
    @patch("os.makedirs")
    @patch("trainer.checkpoints.save")
    @patch("trainer.model.build_model")
    def test_odd_step_count_saves_once_less(
        self, build_model, save, makedirs, make_env, make_optimizer, make_scheduler, make_loader, record, start_run,
        finish, load_latest, log,
    ):
        build_model.return_value = make_model([0.1] * 20)
        Trainer(dict(CONFIG, save_every=3)).run(steps=7)
        assert save.call_count == 2
        finish.assert_called_once()
