"""The training loop."""
import logging
import os
import time

from trainer import checkpoints, data, envs, metrics, model, optim, tracking

log = logging.getLogger("trainer")


class Trainer:
    def __init__(self, config):
        self.config = config
        self.run_dir = os.path.join(config["out"], config["name"])
        self.step = 0

    def setup(self):
        os.makedirs(self.run_dir, exist_ok=True)
        self.env = envs.make_env(self.config["env"])
        self.model = model.build_model(self.config["model"])
        self.optimizer = optim.make_optimizer(self.model, self.config["lr"])
        self.scheduler = optim.make_scheduler(self.optimizer)
        self.loader = data.make_loader(self.config["data"])
        self.tracker = tracking.start_run(self.config["name"])
        state = checkpoints.load_latest(self.run_dir)
        self.step = state["step"] if state else 0
        if state:
            log.info("resuming from step %d", self.step)
        else:
            log.info("fresh start")

    def run(self, steps):
        self.setup()
        started = time.time()
        try:
            for batch in self.loader:
                if self.step >= steps:
                    break
                loss = self.model.train_step(batch)
                self.optimizer.step()
                self.scheduler.step()
                metrics.record(self.tracker, self.step, loss)
                self.step += 1
                if self.step % self.config["save_every"] == 0:
                    checkpoints.save(self.run_dir, {"step": self.step})
        except KeyboardInterrupt:
            log.warning("interrupted at step %d", self.step)
            checkpoints.save(self.run_dir, {"step": self.step})
            raise
        finally:
            tracking.finish(self.tracker, elapsed=time.time() - started)
        return self.step
